"""terraform/scripts/build_image.py as a module, for the tests that call it in process.

Terraform runs it as a script (its own folder holds no package), so it is loaded
from its file here."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

from tests.terraform.tfconfig import TF_DIR

SCRIPT = TF_DIR / "scripts" / "build_image.py"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("build_image", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_image"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


build_image: Any = _load()
