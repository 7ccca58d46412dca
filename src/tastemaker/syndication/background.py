"""The delivery worker inside the server: an asyncio task that sends what is due and runs due
refreshes every few seconds, on the threadpool so answers keep flowing.

Every server worker process runs one; the store's optimistic claims make sure each delivery
attempt and each refresh happens once however many run. Set ``TASTEMAKER_DELIVER_IN_SERVER=0``
to leave delivery to ``tastemaker deliveries run --loop`` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.concurrency import run_in_threadpool

from tastemaker.syndication.service import Syndication
from tastemaker.syndication.worker import Deliverer

log = logging.getLogger(__name__)


def one_pass(syn: Syndication, worker: Deliverer) -> None:
    """Refresh what is due (which queues pushes), then send what is due."""
    syn.refresh()
    worker.run_once()


async def deliver_forever(syn: Syndication, interval: float, stop: asyncio.Event) -> None:
    worker = syn.deliverer()
    try:
        while not stop.is_set():
            try:
                await run_in_threadpool(one_pass, syn, worker)
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("delivery pass failed; retrying in %.1f s", interval)
            with contextlib.suppress(TimeoutError):  # the interval passed without a stop
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        worker.close()
