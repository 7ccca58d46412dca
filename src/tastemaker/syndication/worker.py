"""The delivery worker: send what is due, retry with backoff and jitter, keep receipts.

One pass (:meth:`Deliverer.run_once`) takes the due deliveries, claims each (so that several
workers never send the same attempt), checks the destination (:mod:`.network`), signs the body
afresh (the timestamp is the attempt's, as receivers reject stale ones; the ``webhook-id`` stays
the same, so they can dedupe) and POSTs it without following redirects. Every attempt leaves a
receipt: when, the status code or the error, how long it took, the start of the reply.

A 2xx answer delivers. Anything else (an error status, a redirect, a timeout, a refused
connection) is retried after ``min(cap, base * 2**(n-1))`` seconds, of which a random half is
jitter, so receivers that come back from an outage are not hit by every sender at once; after
``max_attempts`` the delivery is dead and waits in the dead-letter list until an operator replays
it. A destination that the guard refuses is dead at once: retrying cannot make it allowed.

The same worker runs in the server process (a background task, see :mod:`.background`) and from
``tastemaker deliveries run``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tastemaker.errors import InvalidInput
from tastemaker.store.delivery import AttemptRecord, DeliveryStore, DueDelivery
from tastemaker.syndication import network, signing

log = logging.getLogger(__name__)

USER_AGENT = "tastemaker-webhooks/1"
RESPONSE_EXCERPT = 200


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try again; the defaults span about a day and a half over eight attempts."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    timeout_seconds: float = 10.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): half fixed,
        half random, so the order of retries survives and their timing spreads."""
        full = float(min(self.cap_seconds, self.base_seconds * 2.0 ** (attempt - 1)))
        return full / 2 + rng.uniform(0, full / 2)


@dataclass(slots=True)
class PassReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0  # taken by another worker first
    msg_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "retried": self.retried,
            "dead": self.dead,
            "skipped": self.skipped,
        }


class Deliverer:
    """Sends due webhook deliveries of every workspace in one store."""

    def __init__(
        self,
        rows: DeliveryStore,
        *,
        policy: RetryPolicy | None = None,
        allow_private: bool = False,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        resolver: network.Resolver = network.resolve,
        transport: httpx.BaseTransport | None = None,
        workspace_id: int | None = None,
    ) -> None:
        self.rows = rows
        self.workspace_id = workspace_id  # None: every workspace's deliveries
        self.policy = policy or RetryPolicy()
        self.allow_private = allow_private
        self.clock = clock
        self.rng = rng or random.Random()
        self.resolver = resolver
        self.client = httpx.Client(
            follow_redirects=False,  # a redirect could point anywhere, past the guard
            timeout=self.policy.timeout_seconds,
            transport=transport,
            headers={"user-agent": USER_AGENT, "content-type": "application/json"},
            trust_env=False,  # no proxy from the environment between us and the checked address
        )

    def close(self) -> None:
        self.client.close()

    def run_once(self, limit: int = 100) -> PassReport:
        """One pass over what is due now."""
        report = PassReport()
        now = self.clock()
        for delivery in self.rows.due(now, limit, self.workspace_id):
            lease = now + self.policy.timeout_seconds * 3
            if not self.rows.claim(delivery, lease):
                report.skipped += 1
                continue
            self._attempt(delivery, report)
        return report

    def _attempt(self, delivery: DueDelivery, report: PassReport) -> None:
        attempt = delivery.attempts + 1
        started = self.clock()
        t0 = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        excerpt: str | None = None
        permanent = False
        try:
            addresses = network.check_destination(
                delivery.url, allow_private=self.allow_private, resolver=self.resolver
            )
            url, host, extensions = network.pin(delivery.url, addresses[0])
            stamp = int(started)
            hdrs = signing.headers(delivery.secrets, delivery.msg_id, stamp, delivery.body)
            response = self.client.post(
                url, content=delivery.body, headers=hdrs | host, extensions=extensions
            )
            status_code = response.status_code
            excerpt = response.text[:RESPONSE_EXCERPT]
            if response.is_redirect:
                error = f"redirect to {response.headers.get('location', '?')!r} not followed"
            elif not response.is_success:
                error = f"HTTP {status_code}"
        except InvalidInput as exc:
            error, permanent = f"refused: {exc.message}", True
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        duration = (time.perf_counter() - t0) * 1000
        receipt = AttemptRecord(attempt, started, status_code, error, duration, excerpt)
        if error is None:
            self.rows.finish_attempt(
                delivery.id, receipt, status="delivered", next_attempt_at=started
            )
            report.delivered += 1
        elif permanent or attempt >= self.policy.max_attempts:
            self.rows.finish_attempt(delivery.id, receipt, status="dead", next_attempt_at=started)
            report.dead += 1
            log.warning("webhook %s dead after %d attempts: %s", delivery.msg_id, attempt, error)
        else:
            retry_at = started + self.policy.delay(attempt, self.rng)
            self.rows.finish_attempt(
                delivery.id, receipt, status="pending", next_attempt_at=retry_at
            )
            report.retried += 1
        report.msg_ids.append(delivery.msg_id)
