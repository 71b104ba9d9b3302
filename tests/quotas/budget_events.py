"""Budget notifications as Pub/Sub and Eventarc deliver them, to post to budget_guard.

The notification follows Cloud Billing's documented format (attributes
``billingAccountId``, ``budgetId``, ``schemaVersion``; data with ``costAmount``,
``budgetAmount``, ...). Eventarc delivers a Pub/Sub message to Cloud Run as a CloudEvent
in binary content mode: ``ce-*`` headers and the JSON body ``{"message": ...,
"subscription": ...}``; ``structured`` gives the same event in structured mode.

    python -m tests.quotas.budget_events URL --percent 120 [--budget-id ID]

posts one notification (spend at that percentage of a 100 USD budget) and prints the
status.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import uuid
from typing import Any

import requests

PROJECT = "tokenvend-local"
TOPIC = f"projects/{PROJECT}/topics/tokenvend-budget"
BILLING_ACCOUNT = "012345-6789AB-CDEF01"
BUDGET_ID = "6f4c2a9e-1b7d-4e0a-9c3f-2d8e5b1a7c40"
THIS_MONTH = "2026-12-01T08:00:00Z"
EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"


def notification(
    cost: float,
    budget: float = 100.0,
    *,
    interval_start: str = THIS_MONTH,
    currency: str = "USD",
    **extra: Any,
) -> dict[str, Any]:
    """The data of a budget notification: ``cost`` spent of ``budget`` this period."""
    data = {
        "budgetDisplayName": "tokenvend on tokenvend-local",
        "costAmount": cost,
        "costIntervalStart": interval_start,
        "budgetAmount": budget,
        "budgetAmountType": "SPECIFIED_AMOUNT",
        "currencyCode": currency,
    }
    if cost >= budget * 0.5:
        data["alertThresholdExceeded"] = 1.0 if cost >= budget else 0.5
    return {**data, **extra}


def message(data: dict[str, Any] | bytes, *, budget_id: str | None = BUDGET_ID) -> dict[str, Any]:
    """The Pub/Sub message the budget publishes: base64 data and the documented attributes."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    attributes = {"billingAccountId": BILLING_ACCOUNT, "schemaVersion": "1.0"}
    if budget_id is not None:
        attributes["budgetId"] = budget_id
    return {
        "attributes": attributes,
        "data": base64.b64encode(raw).decode(),
        "messageId": str(uuid.uuid4().int)[:16],
        "publishTime": "2026-12-03T07:00:00.000Z",
    }


def binary(pubsub_message: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """Headers and body of the CloudEvent Eventarc posts for ``pubsub_message``."""
    headers = {
        "Content-Type": "application/json",
        "ce-id": pubsub_message["messageId"],
        "ce-source": f"//pubsub.googleapis.com/{TOPIC}",
        "ce-specversion": "1.0",
        "ce-type": EVENT_TYPE,
        "ce-time": pubsub_message["publishTime"],
    }
    body = {"message": pubsub_message, "subscription": f"projects/{PROJECT}/subscriptions/s"}
    return headers, json.dumps(body).encode()


def structured(pubsub_message: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """The same CloudEvent in structured content mode."""
    headers, body = binary(pubsub_message)
    event = {
        "specversion": "1.0",
        "id": headers["ce-id"],
        "source": headers["ce-source"],
        "type": EVENT_TYPE,
        "time": headers["ce-time"],
        "datacontenttype": "application/json",
        "data": json.loads(body),
    }
    return {"Content-Type": "application/cloudevents+json"}, json.dumps(event).encode()


def post(url: str, delivery: tuple[dict[str, str], bytes]) -> int:
    headers, body = delivery
    return requests.post(url, headers=headers, data=body, timeout=60).status_code


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Post a budget notification to budget_guard.")
    parser.add_argument("url")
    parser.add_argument("--percent", type=float, required=True, help="spend, % of the budget")
    parser.add_argument("--budget-id", default=BUDGET_ID)
    arguments = parser.parse_args(argv)
    data = notification(cost=arguments.percent, budget=100.0)
    status = post(arguments.url, binary(message(data, budget_id=arguments.budget_id)))
    print(f"budget_guard answered HTTP {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
