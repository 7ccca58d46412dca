"""``GET /v1/items``: the console's catalog browser (admin).

Without ``q``, a page of items in id order, streamed from the store and cut at the page's end.
With ``q``, the fitted snapshot's BM25 index ranks every item for the query's words (stemmed
as the understand stage stems them), so the console finds what the engine's own lexical
signal would match; before the first ``fit`` a search returns nothing and says so.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tastemaker.api.auth import AdminKey
from tastemaker.api.routes import _ADMIN_ERRORS, get_engine, json_response
from tastemaker.pipeline.vocabulary import stem
from tastemaker.store import ItemRecord

router = APIRouter(prefix="/v1", tags=["data"])

_WORD = re.compile(r"\w+")


def _public(item: ItemRecord) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "text": item.text,
        "attributes": item.attributes,
        "price": item.price,
        "available": item.available,
        "url": item.url,
    }


@router.get("/items", response_model=None, responses=_ADMIN_ERRORS)
def browse_items(
    request: Request,
    caller: AdminKey,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """A page of the catalog, or the items that best match ``q`` (admin)."""
    engine = get_engine(request)
    ws = engine.workspace(caller.workspace)
    total = engine.store.count_items(ws.id)
    terms = [stem(w) for w in _WORD.findall((q or "").lower())]
    if not terms:
        page = list(islice(engine.store.iter_items(ws.id), offset, offset + limit))
        return json_response({"total": total, "items": [_public(i) for i in page]})
    catalog = engine.catalog(caller.workspace)
    if catalog is None:
        return json_response(
            {"total": total, "items": [], "message": "search needs a fitted catalog: run fit"}
        )
    scores, _matched = catalog.lexical_scores(terms)
    if scores is None:
        return json_response({"total": total, "matches": 0, "items": []})
    hits = np.flatnonzero(scores > 0)
    order = hits[np.argsort(-scores[hits], kind="stable")][offset : offset + limit]
    ids = [catalog.ids[int(r)] for r in order]
    by_id = {i.id: i for i in engine.store.get_items(ws.id, ids)}
    found = [_public(by_id[i]) for i in ids if i in by_id]
    return json_response({"total": total, "matches": int(hits.size), "items": found})
