"""Warnings about valid but risky policies.

A policy can be valid and still hand out more than its author meant: a token anyone can
mint, a session nothing constrains, a token that lives for hours, a model the
catalogue does not know (so its config went unchecked), a field Google has not said
the model takes, an instruction the profile relies on that no probe has shown to hold.
``make validate`` and ``explain`` print these warnings; ``validate --strict`` refuses
the policy for them. Each warning names the policy path it is about, like a
validation problem.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tokenvend.gemini.lock_probes import LockFacts, lock_facts
from tokenvend.gemini.request import build_setup, field_mask, is_covered
from tokenvend.policy.access import AnonymousCallers
from tokenvend.policy.catalogue import model_catalogue, model_warnings
from tokenvend.policy.fields import mask_path
from tokenvend.policy.model import Policy

LintWarning = tuple[str, str]  # (policy path, what is risky)

LONG_TOKEN_SECONDS = 3600
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def policy_warnings(policy: Policy, facts: LockFacts | None = None) -> list[LintWarning]:
    """The risks of a valid policy, each with its policy path; empty when there are none.

    ``facts`` are what the lock probes found (default: ``lock_probes.json``).
    """
    warnings: list[LintWarning] = []
    if policy.live is None:
        warnings.append(
            (
                "live",
                "unconstrained: the browser may choose any model and config; bind a model "
                "and lock what it may not change",
            )
        )
    # A per-profile quota bounds what scripts can cost, so it answers this warning too.
    capped = policy.quotas is not None and policy.quotas.per_profile is not None
    anonymous = isinstance(policy.access.callers, AnonymousCallers)
    if anonymous and policy.access.app_check is None and not capped:
        warnings.append(
            (
                "access.callers",
                "anonymous without app_check: any script can mint tokens on your bill "
                "(origins stop other sites' pages, not scripts); add app_check, a caller "
                "kind that signs in, or quotas.per_profile",
            )
        )
    if policy.token.uses == 0:
        warnings.append(
            ("token.uses", "0 lets every token start any number of sessions until it expires")
        )
    if policy.token.expire_after_seconds > LONG_TOKEN_SECONDS:
        warnings.append(
            (
                "token.expire_after_seconds",
                f"{policy.token.expire_after_seconds} s is over an hour; "
                "a leaked token stays usable that long",
            )
        )
    if policy.deploy.public:
        for origin in sorted(policy.access.allowed_origins):
            if urlsplit(origin).hostname in LOCAL_HOSTS:
                warnings.append(
                    (
                        "access.allowed_origins",
                        f"{origin} in a profile deployed public: any page a visitor "
                        "serves on their own machine may mint; remove it before deploying",
                    )
                )
    warnings += _redundant_locks(policy)
    warnings += _unknown_models(policy)
    warnings += _unconfirmed_model_rules(policy)
    warnings += _instruction_not_shown_to_hold(policy, facts or lock_facts())
    return warnings


def _unconfirmed_model_rules(policy: Policy) -> list[LintWarning]:
    """What the catalogue is unsure a model takes, and shutdowns it was told of."""
    if policy.live is None:
        return []
    warnings: list[LintWarning] = []
    for model in policy.session_models():
        where = _where_named(policy, model)
        for path, message in model_warnings(model, policy.live.config):
            # A model an option chooses is named where the option lists it.
            warnings.append((path if where == "live.model" else where, message))
    return warnings


def _instruction_not_shown_to_hold(policy: Policy, facts: LockFacts) -> list[LintWarning]:
    """A profile that relies on its instruction, while a probe has not shown it holds.

    The author says so with ``live.instruction_must_hold``: nothing is guessed from the
    instruction's text, which would miss a kiosk persona or flag every assistant.
    """
    if policy.live is None or not policy.live.instruction_must_hold:
        return []
    warnings: list[LintWarning] = []
    for model in policy.session_models():
        open_routes = [
            f"{route.message}: {facts.status(model, route.name)}"
            for route in facts.routes
            if not facts.held(model, route.name)
        ]
        if open_routes:
            warnings.append(
                (
                    "live.instruction_must_hold",
                    f"the profile is safe only while its systemInstruction holds; Gemini "
                    f"locks it at setup, but for {model}: " + "; ".join(open_routes) + ". "
                    f"Run make smoke MODEL={model.removeprefix('models/')} with a key of "
                    "your own (docs/policies.md, What the lock holds)",
                )
            )
    return warnings


def _unknown_models(policy: Policy) -> list[LintWarning]:
    """Models the catalogue does not know: valid, but their config goes unchecked."""
    found = [(_where_named(policy, model), model) for model in policy.session_models()]
    catalogue = model_catalogue()
    return [
        (
            where,
            f"{model} is not in the model catalogue (checked on {catalogue.checked_on}), "
            "so its status and the config it rejects are not checked; if it is a tuned or "
            f"newer model, check its docs (the current stable model is "
            f"{catalogue.default_model})",
        )
        for where, model in found
        if catalogue.lookup(model) is None
    ]


def _where_named(policy: Policy, model: str) -> str:
    """The policy path that names ``model``: ``live.model`` or a client option's list."""
    if policy.live is not None and model == policy.live.model:
        return "live.model"
    return next(
        f"client_options.{option.name}.allowed"
        for option in policy.client_options
        if option.field == ("model",) and model in map(str, option.allowed or ())
    )


def _redundant_locks(policy: Policy) -> list[LintWarning]:
    """configured_plus names the field mask skips: ``is_covered`` decides for both.

    A field configured only in parts (a systemInstruction string becomes ``parts`` and
    ``role``) is not covered, so naming it is not redundant: it locks the whole field.
    """
    live = policy.live
    if live is None or not live.lock.additional_fields:
        return []
    configured = field_mask(build_setup(live), ())
    return [
        ("live.lock.configured_plus", f"{name} is configured, so it is locked already")
        for name in live.lock.additional_fields
        if is_covered(mask_path(name), configured)
    ]
