"""Webhooks: Standard Webhooks signing, rotation, SSRF refusal, no redirects, retry with backoff,
dead letters and replay, receipts, and scheduled refreshes, against a real local receiver."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from pipeline_fixtures import FILMS, film_events
from tastemaker.engine import Engine
from tastemaker.errors import InvalidInput
from tastemaker.ingest import EventIn, ItemIn
from tastemaker.settings import Settings
from tastemaker.store import Store, WorkspaceRecord
from tastemaker.syndication import network, signing
from tastemaker.syndication.refresh import next_run
from tastemaker.syndication.service import Syndication
from tastemaker.syndication.worker import RetryPolicy
from webhook_receiver import Receiver, receiver

SPEC = {
    "key": "films",
    "name": "Film night",
    "prompt": {"kind": "text", "question": "What do you feel like watching?"},
    "output": {"kind": "list", "size": 3},
    "link_base": "https://films.example/f/",
    "default_items": ["f13"],
    "delivery": {"email": {"followups": [{"delay_days": 3, "subject": "More", "intro": "Hi"}]}},
}
T0 = 1_770_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def engine(store: Store, workspace: WorkspaceRecord, tmp_path: Path) -> Iterator[Engine]:
    settings = Settings(data_dir=tmp_path, database_url=store.url, webhook_allow_private=True)
    eng = Engine(store, settings)
    items = [
        ItemIn(id=i, title=t, text=f"{t}. {', '.join(g)}", attributes={"genres": g}, price=p)
        for i, t, _y, g, p in FILMS
    ]
    store.upsert_items(workspace.id, items)
    events = [
        EventIn(user_id=e.user_id, item_id=e.item_id, type=e.type, value=e.value, ts=e.ts)
        for e in film_events()
    ]
    store.insert_events(workspace.id, events)
    eng.save_experience(workspace.slug, SPEC)
    eng.fit(workspace.slug)
    yield eng
    eng.close()


@pytest.fixture()
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


# -- signing -----------------------------------------------------------------------------------


def test_signature_matches_the_specs_published_example() -> None:
    got = signing.sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_rotation_signs_with_every_secret_and_either_verifies() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    assert old.startswith("whsec_") and old != new
    now = int(datetime.now(UTC).timestamp())
    hdrs = signing.headers([new, old], "msg_1", now, '{"a":1}')
    assert hdrs["webhook-id"] == "msg_1" and hdrs["webhook-timestamp"] == str(now)
    assert len(hdrs["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify('{"a":1}', hdrs) == {"a": 1}
    with pytest.raises(Exception, match="signature"):
        Webhook(signing.new_secret()).verify('{"a":1}', hdrs)


# -- the destination guard ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["127.0.0.1"],
        ["169.254.169.254"],
        ["192.168.1.1"],
        ["172.16.0.1"],
        ["100.64.0.1"],
        ["0.0.0.0"],
        ["::1"],
        ["fe80::1"],
        ["fd00::1"],
        ["::ffff:127.0.0.1"],
        ["64:ff9b::a00:1"],  # NAT64 of 10.0.0.1
        ["93.184.216.34", "10.0.0.1"],  # one bad address is enough
    ],
)
def test_private_loopback_and_link_local_destinations_are_refused(addresses: list[str]) -> None:
    with pytest.raises(InvalidInput, match="private") as info:
        network.check_destination("https://cms.example/hook", resolver=lambda h, p: addresses)
    assert info.value.field == "url"
    allowed = network.check_destination(
        "https://cms.example/hook", allow_private=True, resolver=lambda h, p: addresses
    )
    assert allowed == addresses


def test_public_destinations_and_malformed_urls() -> None:
    public = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    assert network.check_destination("https://x.example/h", resolver=lambda h, p: public)
    for bad in ("ftp://x.example/h", "javascript:alert(1)", "https://", "https://u:p@x.example/"):
        with pytest.raises(InvalidInput):
            network.check_destination(bad, resolver=lambda h, p: public)
    with pytest.raises(InvalidInput, match="resolve"):
        network.check_destination("https://no-such-host.invalid/h")


def test_registering_a_loopback_webhook_needs_the_operator_setting(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    strict = Engine(engine.store, Settings(data_dir=engine.settings.data_dir))
    with pytest.raises(InvalidInput, match="private"):
        Syndication(strict).add_webhook(workspace.slug, "cms", hook.url)
    with pytest.raises(InvalidInput, match="private"):
        Syndication(strict).add_webhook(workspace.slug, "cms", "http://localhost:9/h")
    rec, secret = Syndication(engine).add_webhook(workspace.slug, "cms", hook.url)
    assert rec.url == hook.url and secret.startswith("whsec_")


# -- delivery ----------------------------------------------------------------------------------


def test_a_push_is_signed_carries_the_channels_and_leaves_a_receipt(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    clock = Clock(datetime.now(UTC).timestamp())
    syn = Syndication(engine, clock=clock)
    _, secret = syn.add_webhook(workspace.slug, "mailer", hook.url, ["email", "json"])
    answer = engine.answer(workspace.slug, "films", user_id="a1", text="action")
    [msg_id] = syn.publish(workspace.slug, answer)
    report = syn.deliverer(workspace.slug).run_once()
    assert report.delivered == 1
    [req] = hook.requests
    assert req.headers["webhook-id"] == msg_id
    payload = Webhook(secret).verify(req.body, req.headers)
    assert payload["type"] == "asset.generated"
    data = payload["data"]
    assert data["request_id"] == answer.request_id and data["user_id"] == "a1"
    assert set(data["channels"]) == {"email", "json"}
    email = data["channels"]["email"]
    assert email["text"] and "<style" not in email["html"] and len(email["followups"]) == 1
    for item in data["channels"]["json"]["data"]["items"]:
        assert "utm_source=tastemaker" in item["url"]
        assert f"tm_rid={answer.request_id}" in item["url"]
    rec = syn.delivery(workspace.slug, msg_id)
    assert rec.status == "delivered" and rec.attempts == 1 and rec.user_id == "a1"
    [receipt] = rec.receipts
    assert receipt.status_code == 200 and receipt.error is None and receipt.response == "ok"


def test_failures_back_off_with_jitter_then_dead_letter_then_replay(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    clock = Clock(datetime.now(UTC).timestamp())
    syn = Syndication(engine, clock=clock)
    syn.add_webhook(workspace.slug, "cms", hook.url)
    [msg_id] = syn.publish(workspace.slug, engine.answer(workspace.slug, "films", text="x"))
    hook.script = [(503, {})]
    policy = RetryPolicy(max_attempts=3, base_seconds=60, cap_seconds=90)
    worker = syn.deliverer(workspace.slug, policy=policy, rng=random.Random(1))
    waits = []
    for _ in range(3):
        start = clock.now
        report = worker.run_once()
        assert report.delivered == 0
        rec = syn.delivery(workspace.slug, msg_id)
        if rec.status == "pending":
            waits.append(rec.next_attempt_at - start)
            assert worker.run_once().as_dict() == {
                "delivered": 0,
                "retried": 0,
                "dead": 0,
                "skipped": 0,
            }  # not due yet
            clock.now = rec.next_attempt_at
    assert 30 <= waits[0] <= 60 and 45 <= waits[1] <= 90  # base*2^(n-1), capped, half jitter
    rec = syn.delivery(workspace.slug, msg_id)
    assert rec.status == "dead" and rec.attempts == 3 and rec.last_status == 503
    assert [r.status_code for r in rec.receipts] == [503, 503, 503]
    assert {r.headers["webhook-id"] for r in hook.requests} == {msg_id}  # same id on retries
    assert [d.msg_id for d in syn.deliveries(workspace.slug, "dead")] == [msg_id]

    hook.script = [(204, {})]
    assert syn.replay(workspace.slug, None) == 1
    assert syn.replay(workspace.slug, None) == 0  # nothing dead any more
    assert worker.run_once().delivered == 1
    rec = syn.delivery(workspace.slug, msg_id)
    assert rec.status == "delivered" and len(rec.receipts) == 4


def test_redirects_are_not_followed(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    syn = Syndication(engine)
    syn.add_webhook(workspace.slug, "ads", hook.url, ["ads"])
    [msg_id] = syn.publish(workspace.slug, engine.answer(workspace.slug, "films", text="x"))
    hook.script = [(302, {"location": "http://169.254.169.254/latest/meta-data/"})]
    assert syn.deliverer(workspace.slug).run_once().retried == 1
    assert [r.path for r in hook.requests] == ["/hook"]
    rec = syn.delivery(workspace.slug, msg_id)
    assert rec.status == "pending" and rec.last_status == 302
    assert rec.last_error is not None and "not followed" in rec.last_error


def test_a_destination_refused_at_send_time_is_dead_without_a_request(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    syn = Syndication(engine)
    syn.add_webhook(workspace.slug, "cms", hook.url)
    [msg_id] = syn.publish(workspace.slug, engine.answer(workspace.slug, "films", text="x"))
    # The operator withdrew the permission after the endpoint was saved.
    assert syn.deliverer(workspace.slug, allow_private=False).run_once().dead == 1
    assert hook.requests == []
    rec = syn.delivery(workspace.slug, msg_id)
    assert rec.status == "dead" and rec.last_error is not None
    assert rec.last_error.startswith("refused")


def test_two_workers_never_send_the_same_attempt(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    syn = Syndication(engine)
    syn.add_webhook(workspace.slug, "cms", hook.url)
    syn.publish(workspace.slug, engine.answer(workspace.slug, "films", text="x"))
    [due] = syn.rows.due(syn.clock(), 100, workspace.id)
    assert syn.rows.claim(due, due.next_attempt_at + 30)
    assert not syn.rows.claim(due, due.next_attempt_at + 30)


def test_rotation_and_retirement_through_the_queue(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    syn = Syndication(engine)
    _, old = syn.add_webhook(workspace.slug, "cms", hook.url)
    rec, new = syn.rotate(workspace.slug, "cms")
    assert rec.secrets == [new, old] and rec.public()["signing_keys"] == 2
    syn.publish(workspace.slug, engine.answer(workspace.slug, "films", text="x"))
    syn.deliverer(workspace.slug).run_once()
    req = hook.requests[-1]
    assert len(req.headers["webhook-signature"].split()) == 2
    Webhook(old).verify(req.body, req.headers)
    Webhook(new).verify(req.body, req.headers)
    assert syn.retire_old_secrets(workspace.slug, "cms").secrets == [new]


def test_disabled_endpoints_get_nothing(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    syn = Syndication(engine)
    syn.add_webhook(workspace.slug, "cms", hook.url)
    syn.set_active(workspace.slug, "cms", False)
    assert syn.publish(workspace.slug, engine.answer(workspace.slug, "films", text="x")) == []


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=100)
    rng = random.Random(3)
    for attempt, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full / 4  # really jittered


def test_bad_webhook_input_is_refused(engine: Engine, workspace: WorkspaceRecord) -> None:
    syn = Syndication(engine)
    with pytest.raises(InvalidInput) as info:
        syn.add_webhook(workspace.slug, "cms", "https://x.example/h", ["fax"])
    assert info.value.field == "channels"
    with pytest.raises(InvalidInput) as info:
        syn.add_webhook(workspace.slug, "Bad Name", "https://x.example/h")
    assert info.value.field == "name"


# -- scheduled refresh -------------------------------------------------------------------------


def test_next_run_keeps_the_phase_and_runs_a_missed_period_once() -> None:
    day = 86_400.0
    assert next_run(T0, "daily", T0) == T0 + day
    assert next_run(T0, "weekly", T0 + 3 * day) == T0 + 7 * day
    assert next_run(T0, "daily", T0 + 5.5 * day) == T0 + 6 * day
    assert next_run(T0 + day, "daily", T0) == T0 + day


def test_refresh_runs_on_schedule_without_repeats(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    clock = Clock()
    syn = Syndication(engine, clock=clock)
    syn.add_webhook(workspace.slug, "cms", hook.url)
    saved = syn.subscribe(workspace.slug, "films", user_id="c1", text="comedy", cadence="weekly")
    assert saved.next_run_at == T0 + 7 * 86_400
    assert syn.refresh(workspace.slug) == []  # not due yet
    seen: list[str] = []
    for week in (1, 2, 3):
        clock.now = T0 + week * 7 * 86_400 + 60
        [result] = syn.refresh(workspace.slug)
        assert result.error is None and result.items and len(result.msg_ids) == 1
        assert not set(result.items) & set(seen), f"week {week} repeated an item"
        seen += result.items
        assert syn.refresh(workspace.slug) == []  # ran once per period
    [rec] = syn.subscriptions(workspace.slug, "c1")
    assert rec.sent_item_ids == seen and rec.next_run_at == T0 + 4 * 7 * 86_400
    # Each refresh went out through the webhook, typed as a refresh.
    clock.now = datetime.now(UTC).timestamp()
    syn.deliverer(workspace.slug).run_once()
    bodies = [json.loads(r.body) for r in hook.requests]
    assert [b["type"] for b in bodies] == ["asset.refreshed"] * 3
    assert [b["data"]["user_id"] for b in bodies] == ["c1"] * 3


def test_refresh_may_repeat_when_the_experience_allows_it(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    engine.save_experience(workspace.slug, {**SPEC, "delivery": {"allow_repeats": True}})
    clock = Clock()
    syn = Syndication(engine, clock=clock)
    syn.subscribe(workspace.slug, "films", user_id="c1", text="comedy", cadence="daily")
    runs = []
    for day in (1, 2):
        clock.now = T0 + day * 86_400
        [result] = syn.refresh(workspace.slug)
        runs.append(result.items)
    assert runs[0] == runs[1]  # same person, same prompt, nothing excluded


def test_subscribe_checks_its_input(engine: Engine, workspace: WorkspaceRecord) -> None:
    syn = Syndication(engine)
    with pytest.raises(InvalidInput) as info:
        syn.subscribe(workspace.slug, "films", user_id="c1", cadence="hourly")
    assert info.value.field == "cadence"
    with pytest.raises(InvalidInput) as info:
        syn.subscribe(workspace.slug, "films", user_id="c1", choice="nope")
    assert info.value.field == "choice"
    assert syn.unsubscribe(workspace.slug, "films", "c1") is False
    syn.subscribe(workspace.slug, "films", user_id="c1", text="x")
    assert syn.unsubscribe(workspace.slug, "films", "c1") is True


def test_saved_free_text_is_redacted_like_any_answer(
    engine: Engine, workspace: WorkspaceRecord
) -> None:
    syn = Syndication(engine)
    rec = syn.subscribe(
        workspace.slug, "films", user_id="c1", text="comedy  please, mail me at ann@example.com"
    )
    assert rec.text is not None and "ann@example.com" not in rec.text
    assert rec.text.startswith("comedy please, mail me at")
    with pytest.raises(InvalidInput) as info:
        syn.subscribe(workspace.slug, "films", user_id="c1", text="x" * 1000)
    assert info.value.field == "text"


def test_the_request_goes_to_the_checked_address(
    engine: Engine, workspace: WorkspaceRecord, hook: Receiver
) -> None:
    """A name is resolved once per attempt; the connection uses that address (no rebinding)."""
    port = hook.url.split(":")[2].split("/")[0]
    lookups: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    syn = Syndication(engine, resolver=resolver)
    syn.add_webhook(workspace.slug, "cms", f"http://hooks.invalid:{port}/hook")
    syn.publish(workspace.slug, engine.answer(workspace.slug, "films", text="x"))
    worker = syn.deliverer(workspace.slug)
    assert worker.run_once().delivered == 1  # "hooks.invalid" itself never resolves
    assert hook.requests[0].headers["host"] == f"hooks.invalid:{port}"
    assert lookups == ["hooks.invalid", "hooks.invalid"]  # at registration, then at the attempt
    worker.close()


def test_pin_keeps_host_and_tls_name() -> None:
    url, headers, ext = network.pin("https://cms.example/h?x=1", "93.184.216.34")
    assert url == "https://93.184.216.34/h?x=1"
    assert headers == {"host": "cms.example"} and ext == {"sni_hostname": "cms.example"}
    url, headers, ext = network.pin("http://cms.example:8080/h", "2606:2800::1")
    assert url == "http://[2606:2800::1]:8080/h" and headers == {"host": "cms.example:8080"}
    assert ext == {}
