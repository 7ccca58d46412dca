"""Turn an answer into webhook deliveries: one per active endpoint, rendered for its channels.

The body follows the Standard Webhooks payload shape (``type``, ``timestamp``, ``data``); ``data``
holds the request id, the experience and each channel the endpoint asked for (a CMS takes the
landing page and JSON, an e-mail tool the e-mail with its follow-ups, an ad tool the ad
variants). Every link in them carries the UTM tags and the request id. The body is serialized
once and stored as sent, since the signature covers its exact bytes.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from tastemaker.channels import formats
from tastemaker.experiences import ExperienceSpec
from tastemaker.store.delivery import DeliveryStore, EndpointRecord
from tastemaker.types import Answer


def new_msg_id() -> str:
    return "msg_" + uuid.uuid4().hex


def publish(
    rows: DeliveryStore,
    ws_id: int,
    answer: Answer,
    spec: ExperienceSpec,
    *,
    event_type: str = "asset.generated",
    endpoints: list[EndpointRecord] | None = None,
    now: float | None = None,
) -> list[str]:
    """Queue ``answer`` for every active endpoint (or the given ones); returns the message ids."""
    now = time.time() if now is None else now
    targets = rows.list_endpoints(ws_id, active_only=True) if endpoints is None else endpoints
    rendered: dict[str, dict[str, Any]] = {}
    queued: list[dict[str, Any]] = []
    stamp = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
    for endpoint in targets:
        for channel in endpoint.channels:
            if channel not in rendered:
                rendered[channel] = formats.render(answer, spec, channel, now=now)
        msg_id = new_msg_id()
        body = {
            "type": event_type,
            "timestamp": stamp,
            "data": {
                "workspace": answer.workspace,
                "experience": spec.key,
                "experience_version": answer.experience_version,
                "request_id": answer.request_id,
                "variant": answer.variant,
                "user_id": answer.user_id,
                "fallback": answer.fallback,
                "channels": {c: rendered[c] for c in endpoint.channels},
            },
        }
        queued.append(
            {
                "workspace_id": ws_id,
                "endpoint_id": endpoint.id,
                "msg_id": msg_id,
                "event_type": event_type,
                "user_id": answer.user_id,
                "request_id": answer.request_id,
                "body": orjson.dumps(body).decode(),
            }
        )
    rows.enqueue(queued, now)
    return [q["msg_id"] for q in queued]
