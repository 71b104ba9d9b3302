"""budget_guard: pause every profile of the deployment once its budget is spent.

A budget publishes its spend to Pub/Sub several times a day, whatever its thresholds.
For each notification the guard decides once, and says in one log line why:

- not a budget notification, or another budget's (when a budget id is configured):
  nothing changes; the message is acknowledged, since a redelivery would not read better;
- spend below ``pause_at_percent`` of the budget: nothing changes;
- spend at or above it: the kill switch of every profile is turned on
  (``tokenvend_profiles/<profile>``, the switch ``python -m tokenvend pause`` sets), then
  a marker records that the guard acted for this budget's period (``costIntervalStart``),
  amount and threshold.

The guard never turns a switch off. It acts once per budget, period, amount and
threshold: a notification for a period it already acted on changes nothing, so a
redelivered message is harmless and an operator who resumes a profile on purpose is not
overruled hours later by the next notification of the same month; the next period, or a
raised budget crossed again, pauses again. When the store fails, the error propagates:
the function answers 500 and Pub/Sub delivers the notification again, so a pause is
never lost to a passing outage.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tokenvend import reasons
from tokenvend.budget_guard.notification import BudgetNotification, parse_notification
from tokenvend.errors import BudgetNotificationMalformed, QuotaStoreUnavailable
from tokenvend.logs import StructuredLog, clipped
from tokenvend.quotas.store import Change, QuotaStore

# The value of ``event`` on every line the guard writes (never the request event).
GUARD_EVENT = "budget_guard"
MARKER_PREFIX = "_budget-guard"
# A marker outlives the longest budget period (a year) and then goes with the TTL policy.
MARKER_LIFETIME = timedelta(days=400)


def marker_id(notification: BudgetNotification, pause_at_percent: float) -> str:
    """The counter that records the guard acting on this budget, period, amount and threshold.

    The amount and the threshold are part of it: an operator who raises the budget (or the
    threshold) and resumes has a new line to cross, and the guard pauses again when spend
    crosses it in the same period. Profile names start with a letter, so no quota counter
    starts with an underscore.
    """
    start = int(notification.cost_interval_start.timestamp())
    cents = round(notification.budget_amount * 100)
    return f"{MARKER_PREFIX}.{notification.budget_id}.{start}.{cents}.{pause_at_percent:g}"


class BudgetGuard:
    """Turns on the kill switch of ``profiles`` when a budget notification says so."""

    def __init__(
        self,
        store: QuotaStore,
        profiles: tuple[str, ...],
        *,
        budget_id: str | None,
        pause_at_percent: float,
        log: StructuredLog,
    ) -> None:
        self._store = store
        self._profiles = profiles
        self._budget_id = budget_id
        self._pause_at_percent = pause_at_percent
        self._log = log

    def handle(self, event_type: str | None, event_data: Any, *, event_id: str | None) -> str:
        """Acts on one delivered event and returns the reason code it logged.

        Raises QuotaStoreUnavailable when the store fails, so the event is delivered again.
        """
        seen = {"event_id": clipped(event_id, 100) if isinstance(event_id, str) else None}
        try:
            notification = parse_notification(event_type, event_data)
        except BudgetNotificationMalformed as error:
            # ERROR: a budget whose notifications cannot be read guards nothing.
            return self._emit("ERROR", error.reason, f"ignored: {error.detail}", **seen)
        fields = {**seen, **_fields(notification), "pause_at_percent": self._pause_at_percent}
        if self._budget_id is not None and notification.budget_id != self._budget_id:
            return self._emit(
                "WARNING",
                reasons.BUDGET_FOREIGN,
                f"ignored: a notification of budget {notification.budget_id}, "
                f"not of {self._budget_id}",
                **fields,
            )
        if notification.spent_percent < self._pause_at_percent:
            return self._emit(
                "INFO", reasons.BUDGET_UNDER_THRESHOLD, "spend is under the threshold", **fields
            )
        try:
            return self._pause(notification, fields)
        except QuotaStoreUnavailable as error:
            self._emit(
                "ERROR",
                reasons.BUDGET_STORE_UNAVAILABLE,
                f"could not pause the profiles, the notification will come again: {error.detail}",
                **fields,
            )
            raise

    def _pause(self, notification: BudgetNotification, fields: dict[str, Any]) -> str:
        marker = marker_id(notification, self._pause_at_percent)
        (acted,) = self._store.counts([marker])
        if acted:
            return self._emit(
                "INFO",
                reasons.BUDGET_ALREADY_ACTED,
                "spend is over the threshold; the profiles were paused for this period "
                "already, and are left as they are (resume stays resumed)",
                **fields,
            )
        for profile in self._profiles:
            self._store.set_paused(profile, True)
        expire_at = notification.cost_interval_start + MARKER_LIFETIME
        self._store.add([Change(marker, 1, expire_at)])
        return self._emit(
            "ALERT",
            reasons.BUDGET_PAUSED,
            f"spend reached {notification.spent_percent:.1f}% of the budget (threshold "
            f"{self._pause_at_percent:g}%): paused {len(self._profiles)} profiles; "
            "`python -m tokenvend resume PROFILE` mints again",
            profiles=list(self._profiles),
            **fields,
        )

    def _emit(self, severity: str, reason: str, message: str, **fields: Any) -> str:
        self._log.emit(
            severity, f"budget_guard: {message}", event=GUARD_EVENT, reason=reason, **fields
        )
        return reason


def _fields(notification: BudgetNotification) -> dict[str, Any]:
    return {
        "budget_id": notification.budget_id,
        "budget_name": notification.display_name,
        "billing_account_id": notification.billing_account_id,
        "cost_amount": notification.cost_amount,
        "budget_amount": notification.budget_amount,
        "currency_code": notification.currency_code,
        "spent_percent": round(notification.spent_percent, 2),
        "cost_interval_start": notification.cost_interval_start.isoformat(),
        "alert_threshold_exceeded": notification.alert_threshold_exceeded,
        "message_id": notification.message_id,
    }
