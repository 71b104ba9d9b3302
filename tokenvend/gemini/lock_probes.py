"""What Gemini enforces of a constrained token, and what the lock probes found.

The setup lock is documented: Gemini applies the token's setup over the session's own.
Whether a message sent later on the open WebSocket (a ``contextUpdate``, a model turn,
a second setup) can undo it is not documented, so ``make smoke`` probes each such
route against the real API and records the verdicts in ``lock_probes.json``, per model,
with the date. ``explain`` and ``lint`` read that file: a route is held or not held
only for a model a probe ran against; anything else is "not verified".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

LOCK_PROBES_PATH = Path(__file__).with_name("lock_probes.json")
SETUP_ROUTE = "setup.systemInstruction"

Verdict = Literal["held", "not_held", "unclear"]
VERDICTS: tuple[Verdict, ...] = ("held", "not_held", "unclear")


@dataclass(frozen=True)
class Route:
    """One way a client may try to change a locked session, and how it goes on the wire."""

    name: str  # e.g. contextUpdate.systemInstruction
    message: str
    wire: str
    why: str


@dataclass(frozen=True)
class Finding:
    """What one probe saw on one route: the verdict, and the evidence (the model's answer)."""

    verdict: Verdict
    evidence: str


@dataclass(frozen=True)
class Probe:
    """One run of the probes against one model, on one day."""

    model: str
    date: str  # YYYY-MM-DD, UTC
    findings: Mapping[str, Finding]


@dataclass(frozen=True)
class LockFacts:
    """The documented setup lock, the routes the probes try, and the last probe per model."""

    setup_summary: str
    setup_enforced_by: str
    setup_documented_in: str
    setup_sources: tuple[str, ...]
    routes: tuple[Route, ...]
    probes: Mapping[str, Probe]

    @property
    def setup_route(self) -> Route:
        """The route that tries to change the locked fields in the session's own setup."""
        return next(route for route in self.routes if route.name == SETUP_ROUTE)

    @property
    def mid_session_routes(self) -> tuple[Route, ...]:
        """The routes that try to change a session already set up."""
        return tuple(route for route in self.routes if route.name != SETUP_ROUTE)

    def probe_of(self, model: str) -> Probe | None:
        """The last probe of ``model`` (with or without ``models/``), if one was recorded."""
        return self.probes.get(model.removeprefix("models/"))

    def held(self, model: str, route: str) -> bool:
        """Whether the last probe of ``model`` found ``route`` held."""
        probe = self.probe_of(model)
        finding = probe.findings.get(route) if probe else None
        return finding is not None and finding.verdict == "held"

    def status(self, model: str, route: str) -> str:
        """``held``, ``NOT held`` or ``not verified``, with the probe's date and evidence."""
        probe = self.probe_of(model)
        finding = probe.findings.get(route) if probe else None
        if probe is None:
            return "not verified"
        if finding is None:
            return f"not verified (the probe of {probe.date} did not try it)"
        if finding.verdict == "unclear":
            return f"not verified (the probe of {probe.date} was inconclusive: {finding.evidence})"
        word = "held" if finding.verdict == "held" else "NOT held"
        return f"{word} (probe of {probe.date}: {finding.evidence})"


@cache
def lock_facts() -> LockFacts:
    """The facts in ``lock_probes.json``, read once."""
    return parse_lock_facts(json.loads(LOCK_PROBES_PATH.read_text(encoding="utf-8")))


def parse_lock_facts(data: Mapping[str, Any]) -> LockFacts:
    """The facts a ``lock_probes.json`` document holds; a malformed one fails loudly."""
    routes = tuple(
        Route(name=name, message=route["message"], wire=route["wire"], why=route["why"])
        for name, route in data["routes"].items()
    )
    known = {route.name for route in routes}
    probes = {}
    for model, probe in data["probes"].items():
        findings = {}
        for route, finding in probe["findings"].items():
            if route not in known or finding["verdict"] not in VERDICTS:
                raise ValueError(f"lock probe of {model}: unknown route or verdict in {route}")
            findings[route] = Finding(finding["verdict"], finding["evidence"])
        probes[model] = Probe(model, date.fromisoformat(probe["date"]).isoformat(), findings)
    setup = data["setup"]
    return LockFacts(
        setup_summary=setup["summary"],
        setup_enforced_by=setup["enforced_by"],
        setup_documented_in=setup["documented_in"],
        setup_sources=tuple(setup["sources"]),
        routes=routes,
        probes=probes,
    )


def record_probe(
    path: Path, model: str, day: date, findings: Mapping[str, Finding]
) -> dict[str, Any]:
    """Writes one probe's findings into the file at ``path``, replacing that model's last.

    Other models' probes and the rest of the file are kept as they are. Returns the
    document written, after checking that it still parses.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    data["probes"][model.removeprefix("models/")] = {
        "date": day.isoformat(),
        "findings": {
            route: {"verdict": finding.verdict, "evidence": finding.evidence}
            for route, finding in findings.items()
        },
    }
    parse_lock_facts(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return dict(data)
