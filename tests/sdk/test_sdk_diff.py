"""tokenvend's auth_tokens body against the official JS SDK's, field by field.

Every shipped and example policy, and generated ones that cover every schema field,
are compiled by tokenvend (``build_token_request``) and sent through ``@google/genai``
(pinned in ``package.json``; ``sdk_body.mjs`` stubs ``fetch`` and prints the body).
The bodies must be the same JSON value and lock the same paths, except for the
deliberate differences in ``DELIBERATE``, the one list of them. When the SDK is
upgraded, this test says what changed. ``make sdk-diff`` installs the SDK and runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.schema_samples import config_fields, sample_config, sample_field
from tokenvend.gemini.request import build_token_request, is_covered
from tokenvend.jsonvalues import freeze, thaw
from tokenvend.policy.fields import GENERATION_FIELDS, in_wire_order, mask_path
from tokenvend.policy.loader import load_policy, policy_files
from tokenvend.policy.model import LiveConstraints, Lock, TokenRules
from tokenvend.policy.options import apply_options
from tokenvend.settings import Settings

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TOKEN = TokenRules(uses=3, expire_after_seconds=1800, new_session_expire_after_seconds=60)


@dataclass(frozen=True)
class Case:
    name: str
    token: TokenRules
    live: LiveConstraints | None


@dataclass(frozen=True)
class Difference:
    """A deliberate difference, and how it turns the SDK's body into tokenvend's intent."""

    what: str
    why: str
    adjust: Callable[[dict[str, Any], Case], None]


def _prefix_every_generation_lock_name(sdk: dict[str, Any], case: Case) -> None:
    if "fieldMask" in sdk:
        paths = sdk["fieldMask"].split(",")
        sdk["fieldMask"] = ",".join(
            mask_path(path) if path in GENERATION_FIELDS else path for path in paths
        )


def _skip_lock_names_already_locked(sdk: dict[str, Any], case: Case) -> None:
    if "fieldMask" not in sdk or case.live is None:
        return
    extra = [mask_path(name) for name in case.live.lock.additional_fields]
    paths = sdk["fieldMask"].split(",")
    configured = paths[: len(paths) - len(extra)]
    kept: list[str] = []
    for path in extra:
        if not is_covered(path, configured + kept):
            kept.append(path)
    sdk["fieldMask"] = ",".join(configured + kept)


def _history_config_as_the_python_sdk_sends_it(sdk: dict[str, Any], case: Case) -> None:
    if case.live is None or "historyConfig" not in case.live.config:
        return
    history = thaw(case.live.config["historyConfig"])
    sdk["bidiGenerateContentSetup"]["historyConfig"] = history
    if "fieldMask" in sdk:
        paths = [f"historyConfig.{key}" for key in history] or ["historyConfig"]
        sdk["fieldMask"] = ",".join([*sdk["fieldMask"].split(","), *paths])


DELIBERATE = (
    Difference(
        "every generation lock name gets generationConfig.",
        "the JS SDK maps only seven names, so mediaResolution, thinkingConfig, "
        "enableAffectiveDialog and translationConfig would be invalid top-level paths",
        _prefix_every_generation_lock_name,
    ),
    Difference(
        "a lock name already locked is not repeated",
        "the JS SDK appends every lockAdditionalFields name, even one whose path (or a "
        "field it belongs to) is in the mask already",
        _skip_lock_names_already_locked,
    ),
    Difference(
        "historyConfig is sent",
        "@google/genai 3.3.0 has no historyConfig and drops it; google-genai 3.6.1 sends "
        "it as setup.historyConfig, which is what tokenvend does",
        _history_config_as_the_python_sdk_sends_it,
    ),
)
# Not differences: key order inside objects and the order of the field-mask paths are
# not compared (Gemini reads JSON objects by key, and a FieldMask is a set of paths; the
# JS SDK creates generationConfig where it writes the first generation field, tokenvend
# right after model). How often a path is in the mask is compared.


def shipped_cases() -> Iterator[Case]:
    for path in policy_files(ROOT / "policies") + policy_files(ROOT / "examples" / "policies"):
        policy = load_policy(path)
        live = policy.live
        if all(option.default is not None for option in policy.client_options):
            live = apply_options(live, policy.client_options, {})
        yield Case(f"{path.parent.name}/{path.stem}", policy.token, live)


def generated_cases() -> Iterator[Case]:
    fields = config_fields()
    for field in fields:
        for variant in (0, 1, 2):
            config = {field: sample_field(field, variant)}
            others = tuple(name for name in fields if name != field)
            yield _case(f"{field}-{variant}", config, Lock("configured"))
            yield _case(f"{field}-{variant}-plus-others", config, Lock("configured", others))
    for variant in (0, 1):
        config = sample_config(variant)
        yield _case(f"every-field-{variant}", config, Lock("configured"))
        yield _case(f"every-field-{variant}-all", config, Lock("all"))
        yield _case(f"every-field-{variant}-plus-all", config, Lock("configured", tuple(fields)))
    yield _case("lock-names-only", {}, Lock("configured", tuple(fields)))
    yield Case("unconstrained", TOKEN, None)


def _case(name: str, config: dict[str, Any], lock: Lock) -> Case:
    live = LiveConstraints("gemini-3.8-live", freeze(in_wire_order(config)), lock)
    return Case(name, TOKEN, live)


def sdk_config(case: Case, ours: dict[str, Any]) -> dict[str, Any]:
    """The CreateAuthTokenConfig an SDK user would write for the same policy."""
    config: dict[str, Any] = {
        "uses": case.token.uses,
        "expireTime": ours["expireTime"],
        "newSessionExpireTime": ours["newSessionExpireTime"],
    }
    if case.live is not None:
        config["liveConnectConstraints"] = {
            "model": case.live.model,
            "config": thaw(case.live.config),
        }
        if case.live.lock.mode == "configured":
            config["lockAdditionalFields"] = list(case.live.lock.additional_fields)
    return config


def mask_differences(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Paths only one side sends, or sends more often; no mask at all means all locked."""
    if ("fieldMask" in ours) != ("fieldMask" in theirs):
        return [f".fieldMask: tokenvend {ours.get('fieldMask')!r}, SDK {theirs.get('fieldMask')!r}"]
    mine, sdk = (Counter(body.get("fieldMask", "").split(",")) for body in (ours, theirs))
    return [f".fieldMask: only tokenvend sends {path}" for path in sorted(mine - sdk)] + [
        f".fieldMask: only the SDK sends {path}" for path in sorted(sdk - mine)
    ]


def without_mask(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "fieldMask"}


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Every path where the two JSON values differ, with both values."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in [*ours, *(k for k in theirs if k not in ours)]:
            if key not in theirs:
                found.append(f"{path}.{key}: only tokenvend sends {ours[key]!r}")
            elif key not in ours:
                found.append(f"{path}.{key}: only the SDK sends {theirs[key]!r}")
            else:
                found += differences(ours[key], theirs[key], f"{path}.{key}")
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if ours != theirs or isinstance(ours, bool) != isinstance(theirs, bool):
        return [f"{path}: tokenvend {ours!r}, SDK {theirs!r}"]
    return []


def run_sdk(configs: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    required = os.environ.get("SDK_DIFF_REQUIRED") == "1"  # set by make sdk-diff
    if node is None or not (HERE / "node_modules" / "@google" / "genai").is_dir():
        reason = (
            "Node.js is not installed"
            if node is None
            else ("the SDK is not installed here; `make sdk-diff` runs npm ci and this test")
        )
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    cases = [{"name": name, "config": config} for name, config in configs]
    done = subprocess.run(
        [node, str(HERE / "sdk_body.mjs")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
    )
    return {result["name"]: result for result in json.loads(done.stdout)}


def all_cases() -> list[Case]:
    return [*shipped_cases(), *generated_cases()]


def test_every_schema_field_is_covered_by_a_generated_case() -> None:
    covered = {name for case in generated_cases() if case.live for name in case.live.config}
    assert covered == set(config_fields())


def test_sdk_sends_what_tokenvend_sends_but_for_the_listed_differences() -> None:
    cases = all_cases()
    ours = {case.name: build_token_request(case.token, case.live, NOW) for case in cases}
    results = run_sdk([(case.name, sdk_config(case, ours[case.name])) for case in cases])
    failures = []
    version = Settings.from_environ({}).gemini_api_version
    for case in cases:
        result = results[case.name]
        if "error" in result:
            failures.append(f"{case.name}: the SDK refused it: {result['error']}")
            continue
        assert result["url"].endswith(f"/{version}/auth_tokens"), result["url"]
        theirs = result["body"]
        for difference in DELIBERATE:
            difference.adjust(theirs, case)
        found = differences(without_mask(ours[case.name]), without_mask(theirs))
        found += mask_differences(ours[case.name], theirs)
        failures += [f"{case.name}: {line}" for line in found]
    assert not failures, "\n".join(failures)


REFUSED = {
    "transparent resumption": {"sessionResumption": {"transparent": True}},
    "multi-speaker voices": {
        "speechConfig": {"multiSpeakerVoiceConfig": {"speakerVoiceConfigs": []}}
    },
    "explicit VAD signal": {"explicitVadSignal": True},
    "safety method": {
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "method": "SEVERITY"}]
    },
    "retrieval tool": {"tools": [{"retrieval": {}}]},
    "enterprise web search": {"tools": [{"enterpriseWebSearch": {}}]},
    "search domain exclusion": {"tools": [{"googleSearch": {"excludeDomains": ["a.example"]}}]},
}


def test_fields_the_schema_refuses_for_the_developer_api_are_refused_by_the_sdk_too() -> None:
    configs = [
        (name, {"uses": 1, "liveConnectConstraints": {"model": "gemini-3.8-live", "config": c}})
        for name, c in REFUSED.items()
    ]
    configs.append(
        ("two dots in the model", {"uses": 1, "liveConnectConstraints": {"model": "a..b"}})
    )
    results = run_sdk(configs)
    accepted = [name for name, result in results.items() if "error" not in result]
    assert not accepted, f"the SDK now sends these; reconsider refusing them: {accepted}"
