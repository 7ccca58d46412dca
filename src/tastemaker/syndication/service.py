"""The syndication operations, shared by the API routes and the CLI (which only parse and call).

It checks input the way the rest of tastemaker does (:class:`InvalidInput` with a ``field``),
so a bad webhook URL is a 422 on the API and exit code 2 on the CLI.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from tastemaker.channels.spec import CHANNELS
from tastemaker.engine import Engine
from tastemaker.errors import InvalidInput
from tastemaker.pipeline import capture
from tastemaker.store.delivery import DeliveryStore, EndpointRecord, SavedPromptRecord
from tastemaker.syndication import network, signing
from tastemaker.syndication.publish import publish
from tastemaker.syndication.refresh import PERIODS, RefreshResult, run_due
from tastemaker.syndication.worker import Deliverer, RetryPolicy
from tastemaker.types import Answer

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Syndication:
    """Webhooks, the delivery queue and saved prompts of an engine's store."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        resolver: network.Resolver = network.resolve,
    ) -> None:
        self.engine = engine
        self.rows = DeliveryStore(engine.store)
        self.clock = clock
        self.resolver = resolver  # DNS, replaceable in tests

    @property
    def allow_private(self) -> bool:
        return self.engine.settings.webhook_allow_private

    def _ws(self, slug: str) -> int:
        return self.engine.workspace(slug).id

    # -- endpoints ---------------------------------------------------------------------------

    def add_webhook(
        self, slug: str, name: str, url: str, channels: Sequence[str] = ("json",)
    ) -> tuple[EndpointRecord, str]:
        """Register an endpoint; returns it and its signing secret (shown this once)."""
        if not NAME.match(name):
            raise InvalidInput("use 1-64 lowercase letters, digits, '-' or '_'", field="name")
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown or not channels:
            raise InvalidInput(
                f"channels must be some of {', '.join(CHANNELS)}; got {list(channels)}",
                field="channels",
            )
        network.check_destination(url, allow_private=self.allow_private, resolver=self.resolver)
        secret = signing.new_secret()
        rec = self.rows.create_endpoint(
            self._ws(slug), name, url, list(dict.fromkeys(channels)), secret, self.clock()
        )
        return rec, secret

    def list_webhooks(self, slug: str) -> list[EndpointRecord]:
        return self.rows.list_endpoints(self._ws(slug))

    def rotate(self, slug: str, name: str) -> tuple[EndpointRecord, str]:
        """Add a new secret; both are used to sign until :meth:`retire_old_secrets`."""
        secret = signing.new_secret()
        return self.rows.rotate_secret(self._ws(slug), name, secret), secret

    def retire_old_secrets(self, slug: str, name: str) -> EndpointRecord:
        return self.rows.retire_secrets(self._ws(slug), name)

    def set_active(self, slug: str, name: str, active: bool) -> EndpointRecord:
        return self.rows.set_active(self._ws(slug), name, active)

    # -- pushes and the queue ----------------------------------------------------------------

    def publish(self, slug: str, answer: Answer) -> list[str]:
        spec = self.engine.get_experience(slug, answer.experience_key)
        return publish(self.rows, self._ws(slug), answer, spec, now=self.clock())

    def deliveries(self, slug: str, status: str | None = None, limit: int = 100) -> list[Any]:
        if status is not None and status not in ("pending", "delivered", "dead"):
            raise InvalidInput("status is one of pending, delivered, dead", field="status")
        return self.rows.list_deliveries(self._ws(slug), status=status, limit=limit)

    def delivery(self, slug: str, msg_id: str) -> Any:
        return self.rows.get_delivery(self._ws(slug), msg_id)

    def replay(self, slug: str, msg_ids: Sequence[str] | None) -> int:
        """Requeue dead letters: the listed ones, or every one when ``msg_ids`` is None."""
        return self.rows.replay(self._ws(slug), msg_ids, self.clock())

    def deliverer(self, workspace: str | None = None, **kw: Any) -> Deliverer:
        """A worker for one workspace's deliveries, or (``workspace=None``) everyone's."""
        if workspace is not None:
            kw["workspace_id"] = self._ws(workspace)
        kw.setdefault("allow_private", self.allow_private)
        kw.setdefault("clock", self.clock)
        kw.setdefault("resolver", self.resolver)
        kw.setdefault("policy", RetryPolicy())
        return Deliverer(self.rows, **kw)

    # -- saved prompts -----------------------------------------------------------------------

    def subscribe(
        self,
        slug: str,
        key: str,
        *,
        user_id: str,
        choice: str | None = None,
        text: str | None = None,
        cadence: str = "weekly",
    ) -> SavedPromptRecord:
        """Save a person's answer to be refreshed every day or week from now."""
        if cadence not in PERIODS:
            raise InvalidInput("cadence is daily or weekly", field="cadence")
        if not user_id or len(user_id) > 128:
            raise InvalidInput("must be a string of 1 to 128 characters", field="user_id")
        spec = self.engine.get_experience(slug, key)
        if choice is not None and spec.choice(choice) is None:
            raise InvalidInput(f"no choice {choice!r} in experience {key!r}", field="choice")
        if text is not None:
            # Stored for months and replayed: keep only what capture would keep (cleaned,
            # length-checked, e-mail addresses, phone and card numbers redacted).
            text = capture.clean(text)
            if len(text) > spec.prompt.max_length:
                raise InvalidInput(f"at most {spec.prompt.max_length} characters", field="text")
            text = capture.redact(text)[0] or None
        now = self.clock()
        return self.rows.save_prompt(
            self._ws(slug),
            user_id,
            key,
            choice=choice,
            text=text,
            cadence=cadence,  # type: ignore[arg-type]
            next_run_at=now + PERIODS[cadence],
            now=now,
        )

    def unsubscribe(self, slug: str, key: str, user_id: str) -> bool:
        return self.rows.delete_prompt(self._ws(slug), user_id, key)

    def subscriptions(self, slug: str, user_id: str | None = None) -> list[SavedPromptRecord]:
        return self.rows.list_prompts(self._ws(slug), user_id)

    def refresh(self, workspace: str | None = None, limit: int = 100) -> list[RefreshResult]:
        """Run the due saved prompts of one workspace (or of all) at the current clock."""
        ws_id = None if workspace is None else self._ws(workspace)
        return run_due(self.engine, self.rows, self.clock(), limit=limit, workspace_id=ws_id)
