"""The layout shows the request path: sub-packages per concern, and no import cycles.

Every ``tokenvend`` import is an edge, including the lazy ones inside functions (a cycle
through a lazy import still ties two concerns together). Modules must form no cycle,
and neither may the sub-packages they belong to, so each concern can be read (and
changed) knowing only what it builds on.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "tokenvend"
MAX_TOP_LEVEL_MODULES = 12


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tokenvend"):
            if node.module == "tokenvend":
                yield from (f"tokenvend.{alias.name}" for alias in node.names)
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("tokenvend."))


def graph(group: int) -> dict[str, set[str]]:
    """Import edges between names cut to ``group`` dotted parts (2: sub-packages)."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        source = ".".join(module_name(path).split(".")[:group])
        for target in imports_of(path):
            cut = ".".join(target.split(".")[:group])
            if cut != source:
                edges.setdefault(source, set()).add(cut)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def test_no_module_imports_itself_through_others() -> None:
    assert cycles(graph(group=99)) == []


def test_no_sub_package_depends_on_another_that_depends_back() -> None:
    assert cycles(graph(group=2)) == []


def test_the_top_level_holds_a_few_shared_modules_and_the_concerns_as_packages() -> None:
    modules = sorted(path.name for path in PACKAGE.glob("*.py"))
    packages = sorted(path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file())
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules
    assert {"web", "policy", "callers", "gemini", "cli"} <= set(packages)


def test_no_module_shadows_the_standard_library() -> None:
    import sys

    shadowing = [
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.stem in sys.stdlib_module_names
    ]
    assert shadowing == []


# The HTTP clients below are the outbound package's to use: its one bounded read and its
# one build of Google-authorised calls are what every upstream goes through.
HTTP_CLIENTS = ("urllib3", "requests", "http.client", "google.auth.transport")
OUTBOUND = PACKAGE / "outbound"


def external_imports_of(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_only_the_outbound_package_talks_http_to_upstreams() -> None:
    assert (OUTBOUND / "__init__.py").is_file()
    talking = sorted(
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*.py")
        if OUTBOUND not in path.parents
        for module in external_imports_of(path)
        if any(module == client or module.startswith(f"{client}.") for client in HTTP_CLIENTS)
    )
    assert talking == []


# Files the text names that are not the repository's (they configure other tools).
OUTSIDE_FILES = {"gunicorn.conf.py"}
# Dotted names that are not modules: the WSGI environ key of the guarded body.
NOT_MODULES = {"tokenvend.body"}


def test_every_sub_package_says_what_it_is_and_names_only_its_own_modules() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        package = init.parent
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{package.name}/__init__.py says nothing about the package"
        for name in re.findall(r"``([a-z_][a-z0-9_.]*)``", docstring):
            named = package / (name if "." in name else f"{name}.py")
            assert named.exists(), f"{package.name}/__init__.py names {name}, not in the package"


def test_the_package_names_no_file_that_does_not_exist() -> None:
    repository = {path.name for path in ROOT.rglob("*.py") if ".venv" not in path.parts}
    stale = sorted(
        f"{path.relative_to(ROOT).as_posix()}: {name}"
        for path in PACKAGE.rglob("*.py")
        for name in re.findall(r"[\w./-]*\.py\b", path.read_text(encoding="utf-8"))
        if name not in OUTSIDE_FILES and name.rpartition("/")[2] not in repository
    )
    assert stale == []


def is_module(dotted: str) -> bool:
    path = ROOT / dotted.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_the_package_names_no_module_that_does_not_exist() -> None:
    # ``tokenvend.x.y`` is a module, or ``y`` is something defined in module ``tokenvend.x``.
    stale = sorted(
        f"{path.relative_to(ROOT).as_posix()}: {name}"
        for path in PACKAGE.rglob("*.py")
        for name in re.findall(r"\btokenvend(?:\.[a-z_]+)+", path.read_text(encoding="utf-8"))
        if name not in NOT_MODULES and not (is_module(name) or is_module(name.rpartition(".")[0]))
    )
    assert stale == []
