"""Standard Webhooks signing (https://www.standardwebhooks.com/).

The signature is ``v1,`` + base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}")) where the
secret is the base64 text after ``whsec_``. The HMAC itself is the ``standardwebhooks`` package's
(the spec's reference implementation), so receivers that verify with it, or with any other
conforming library, accept what we send.

Rotation: an endpoint may hold several secrets; the ``webhook-signature`` header then carries one
space-separated signature per secret, and a receiver that knows either key verifies. The operator
retires the old key once every receiver has switched.
"""

from __future__ import annotations

import base64
import secrets as _secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret in the spec's format: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """One ``v1,<base64>`` signature of ``body`` under ``secret``."""
    when = datetime.fromtimestamp(timestamp, UTC)
    return Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body)


def headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every active secret."""
    if not secrets:
        raise ValueError("an endpoint needs at least one signing secret")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets),
    }
