"""Operations routes: ``/readyz`` and ``/metrics`` (``/healthz`` lives with the API routes).

``/healthz`` answers "is the process alive and the database reachable"; ``/readyz`` answers
"should the load balancer send answers here": the database answers *and* every workspace's
model snapshot is loaded in this worker, so the first answers after a start or a deploy do
not pay for loading it. A workspace never fitted has no snapshot and does not hold readiness.

Neither route takes a key: a load balancer or Prometheus calls them, and they show counts and
timings, never workspace data.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tastemaker import metrics
from tastemaker.api.routes import get_engine, json_response

router = APIRouter(tags=["ops"])


@router.get("/readyz", response_model=None)
def readyz(request: Request) -> Response:
    """200 when the database answers and every snapshot is loaded; 503 otherwise."""
    engine = get_engine(request)
    try:
        workspaces = engine.store.list_workspaces()
    except Exception as exc:  # any failure means "not ready", whatever the driver raised
        return json_response(
            {"status": "error", "database": type(exc).__name__, "snapshots": None}, status=503
        )
    loaded = 0
    try:
        for ws in workspaces:
            if engine.catalog(ws.slug) is not None:  # loads a snapshot not yet in memory
                loaded += 1
    except Exception as exc:
        return json_response(
            {"status": "error", "database": "ok", "snapshots": type(exc).__name__}, status=503
        )
    return json_response({"status": "ok", "database": "ok", "snapshots": loaded})


@router.get("/metrics", response_model=None, include_in_schema=False)
async def metrics_page(request: Request) -> Response:
    """The Prometheus exposition of every worker's metrics (see :mod:`tastemaker.metrics`)."""
    body, content_type = await run_in_threadpool(metrics.render, get_engine(request))
    return Response(body, media_type=content_type)
