"""A Cloud Billing budget notification, parsed from the CloudEvent that carries it.

Google documents the notification a budget publishes to its Pub/Sub topic
(https://cloud.google.com/billing/docs/how-to/budgets-programmatic-notifications#notification_format):
the message's attributes name the billing account (``billingAccountId``), the budget
(``budgetId``) and the schema (``schemaVersion``), and its data is a JSON object with
``budgetDisplayName``, ``costAmount``, ``costIntervalStart``, ``budgetAmount``,
``budgetAmountType``, ``currencyCode`` and, once a threshold rule has been crossed,
``alertThresholdExceeded``. Eventarc delivers the Pub/Sub message as a CloudEvent of type
``google.cloud.pubsub.topic.v1.messagePublished`` whose data is ``{"message": {"data":
BASE64, "attributes": {...}, "messageId": ...}, "subscription": ...}``.

Everything here is input from the topic, so every size is capped and every value
checked; anything else is ``BudgetNotificationMalformed``, saying what was wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tokenvend.errors import BudgetNotificationMalformed
from tokenvend.logs import clipped

PUBSUB_EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
# A notification is a few hundred bytes; its base64 well under 1 KiB.
MAX_DATA_CHARS = 8192
MAX_ATTRIBUTES = 16
MAX_ATTRIBUTE_CHARS = 256
_BUDGET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class BudgetNotification:
    """One budget's spend in its current period, as the notification states it."""

    budget_id: str
    billing_account_id: str | None
    display_name: str
    cost_amount: float
    budget_amount: float
    currency_code: str | None
    cost_interval_start: datetime
    alert_threshold_exceeded: float | None
    message_id: str | None

    @property
    def spent_percent(self) -> float:
        """Spend as a percentage of the budgeted amount."""
        return 100.0 * self.cost_amount / self.budget_amount


def parse_notification(event_type: str | None, event_data: Any) -> BudgetNotification:
    """The notification in a CloudEvent's type and data; BudgetNotificationMalformed if none."""
    if event_type != PUBSUB_EVENT_TYPE:
        raise _malformed(
            f"the event type is {clipped(str(event_type), 80)}, not {PUBSUB_EVENT_TYPE}"
        )
    message = _object(_object(event_data, "the event data").get("message"), "message")
    attributes = _attributes(message.get("attributes", {}))
    data = _decoded(message.get("data"))
    budget_id = attributes.get("budgetId")
    if budget_id is None or not _BUDGET_ID.fullmatch(budget_id):
        raise _malformed("the attribute budgetId is missing or not a budget id")
    message_id = message.get("messageId")
    cost = _amount(data, "costAmount")
    budget = _amount(data, "budgetAmount")
    if budget <= 0:
        raise _malformed("budgetAmount is not above 0")
    # Only what the decision needs may make a notification unreadable; the currency and
    # the threshold Google names are logged when they are sound and dropped otherwise.
    currency = data.get("currencyCode")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        currency = None
    exceeded = data.get("alertThresholdExceeded")
    if isinstance(exceeded, bool) or not isinstance(exceeded, int | float):
        exceeded = None
    name = data.get("budgetDisplayName", "")
    return BudgetNotification(
        budget_id=budget_id,
        billing_account_id=attributes.get("billingAccountId"),
        display_name=(clipped(name, 100) or "") if isinstance(name, str) else "",
        cost_amount=cost,
        budget_amount=budget,
        currency_code=currency,
        cost_interval_start=_moment(data.get("costIntervalStart")),
        alert_threshold_exceeded=None
        if exceeded is None or not math.isfinite(exceeded)
        else float(exceeded),
        message_id=clipped(message_id, 100) if isinstance(message_id, str) else None,
    )


def _malformed(detail: str) -> BudgetNotificationMalformed:
    return BudgetNotificationMalformed(detail)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not a JSON object")
    return value


def _attributes(value: Any) -> dict[str, str]:
    attributes = _object(value, "attributes")
    if len(attributes) > MAX_ATTRIBUTES:
        raise _malformed(f"more than {MAX_ATTRIBUTES} attributes")
    for key, item in attributes.items():
        if not isinstance(item, str) or len(item) > MAX_ATTRIBUTE_CHARS:
            raise _malformed(f"attribute {clipped(key, 40)} is not a short string")
    return attributes


def _decoded(value: Any) -> dict[str, Any]:
    if not isinstance(value, str) or not value:
        raise _malformed("the message has no data")
    if len(value) > MAX_DATA_CHARS:
        raise _malformed(f"the message data is longer than {MAX_DATA_CHARS} characters")
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
        parsed = json.loads(text, parse_constant=_no_constant)
    except (binascii.Error, ValueError, RecursionError):
        raise _malformed("the message data is not base64 of a JSON object") from None
    return _object(parsed, "the message data")


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _amount(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    # A bool is an int to Python, not a number to JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _malformed(f"{key} is missing or not a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < 0:
        raise _malformed(f"{key} is not a finite amount of at least 0")
    return number


def _moment(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise _malformed("costIntervalStart is missing or not a timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _malformed("costIntervalStart is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise _malformed("costIntervalStart has no time zone")
    return moment.astimezone(UTC)
