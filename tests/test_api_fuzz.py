"""schemathesis against the OpenAPI document: no generated request may earn a 5xx.

Every operation the document lists gets ``EXAMPLES_PER_OPERATION`` generated requests, valid
and invalid bodies, paths and query strings alike (schemathesis's positive and negative
modes), sent in-process with a real admin key so they get past authentication and reach the
routes. The total is asserted, so the run cannot quietly shrink below the 2,000 requests the
issue asks for. A failing case is printed as the request that produced it.

``TASTEMAKER_FUZZ_EXAMPLES`` raises the count for a longer hunt.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from starlette.testclient import TestClient

from tastemaker.api import create_app
from tastemaker.encoders import get_encoder
from tastemaker.engine import Engine
from tastemaker.ingest import validate_events, validate_items
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from test_api import ASK, EVENTS, ITEMS, MOOD

EXAMPLES_PER_OPERATION = int(os.environ.get("TASTEMAKER_FUZZ_EXAMPLES", "50"))
MIN_REQUESTS = 2_000


def test_no_generated_request_earns_a_5xx(
    store: Store, workspace: WorkspaceRecord, tmp_path: Any
) -> None:
    engine = Engine(
        store,
        Settings(data_dir=tmp_path, database_url=store.url, rate_limit=""),
        encoder=get_encoder("static"),
    )
    store.upsert_items(workspace.id, validate_items(ITEMS))
    store.insert_events(workspace.id, validate_events(EVENTS))
    engine.save_experience(workspace.slug, MOOD)
    engine.save_experience(workspace.slug, ASK)
    engine.fit(workspace.slug)
    admin = store.create_api_key(workspace.slug, "admin")
    app = create_app(engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {admin}"}
    sent = 0
    failures: list[str] = []
    with TestClient(app):  # runs the lifespan; the cases themselves go through schemathesis
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(
                    max_examples=EXAMPLES_PER_OPERATION // 2,
                    deadline=None,
                    database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case: Any) -> None:
                    nonlocal sent
                    sent += 1
                    try:
                        response = case.call(headers=headers)
                    except Exception as exc:  # the in-process client re-raises server errors
                        failures.append(
                            f"{case.method} {case.formatted_path} raised {exc!r}: "
                            f"{case.as_curl_command(headers=headers)}"
                        )
                        return
                    if response.status_code >= 500:
                        failures.append(
                            f"{case.method} {case.formatted_path} -> {response.status_code}: "
                            f"{case.as_curl_command(headers=headers)}"
                        )

                try:
                    run()
                except Unsatisfiable:  # e.g. no invalid request exists for a bare GET
                    continue
    engine.close()
    assert not failures, "\n".join(failures[:20])
    print(f"{sent} generated requests, none answered 5xx")
    assert sent >= MIN_REQUESTS, f"only {sent} requests generated"


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])
