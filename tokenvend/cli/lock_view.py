"""What a policy's lock leaves the browser free to change, and what holds it, in words.

Part of ``explain``: the free fields come from the same field mask the endpoint sends,
the verdicts from the lock probes' record (``make smoke``).
"""

from __future__ import annotations

from tokenvend.gemini.lock_probes import LOCK_PROBES_PATH, LockFacts
from tokenvend.gemini.request import build_setup, field_mask, is_covered
from tokenvend.policy.catalogue import takes_field
from tokenvend.policy.fields import GENERATION_FIELDS, SETUP_FIELDS, mask_path
from tokenvend.policy.model import LiveConstraints, Policy
from tokenvend.policy.options import apply_options


def with_defaults(policy: Policy) -> LiveConstraints | None:
    """The constraints a call without options gets; as written when an option is required."""
    required = {o.name for o in policy.client_options if o.default is None}
    if required:
        return policy.live  # nothing sensible to fill in; shown without those fields
    return apply_options(policy.live, policy.client_options, {})


def freedom(live: LiveConstraints | None) -> list[str]:
    """The setup fields the field mask locks, and those the browser may still set."""
    if live is None:
        return [
            "  everything: no constraints are sent (live: unconstrained), so the browser",
            "  chooses the model and every LiveConnectConfig field",
        ]
    if live.lock.mode == "all":
        return [
            "  nothing: no fieldMask is sent, so Gemini locks every field of the session's setup",
            "  to the values above (fields not set there to Gemini's defaults); what later",
            "  messages can do is under What the lock holds",
        ]
    mask = field_mask(build_setup(live), live.lock.additional_fields)
    free, partly = [], []
    for name in (*GENERATION_FIELDS, *SETUP_FIELDS):
        path = mask_path(name)
        # Locked means what the field mask and the lint warnings mean by it: the field
        # itself, or one it belongs to, is in the mask. Its sub-fields alone are not.
        if is_covered(path, mask):
            continue
        inside = [
            locked.removeprefix(f"{path}.") for locked in mask if locked.startswith(f"{path}.")
        ]
        if inside:
            partly.append(f"{name} (all but {', '.join(inside)})")
        else:
            free.append(name)
    lines = ["  locked (fieldMask): " + ", ".join(mask)]
    lines.append("  free: " + (", ".join(free) if free else "none"))
    if partly:
        lines.append("  partly free: " + "; ".join(partly))
    return lines


def lock_holds(live: LiveConstraints | None, facts: LockFacts) -> list[str]:
    """Who enforces the lock, and what the lock probes found for this model."""
    if live is None:
        return []
    setup = facts.setup_route
    model = live.model.removeprefix("models/")
    probe = facts.probe_of(model)
    tried = f"last probe of {model}: {probe.date}" if probe else f"{model} never probed"
    lines = [
        f"What the lock holds ({tried}; verdicts from {LOCK_PROBES_PATH.name})",
        f"  at setup: enforced by {facts.setup_enforced_by}",
        f"    (documented in {facts.setup_documented_in})",
        f"    {setup.message}: {facts.status(model, setup.name)}",
        "  after the setup, messages on the open WebSocket (not documented; make smoke probes):",
        *(
            f"    {route.message}: {facts.status(model, route.name)}"
            for route in facts.mid_session_routes
        ),
    ]
    if probe is None and takes_field(model, "systemInstruction"):
        lines.append(f"  to know, run make smoke MODEL={model} with a key of your own")
    elif probe is None:
        lines.append(f"  make smoke cannot probe {model}: its probes need a system instruction")
    lines.append("")
    return lines
