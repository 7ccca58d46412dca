"""Every channel from one result, the output kinds, and the sandbox's refusals and limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from jinja2.exceptions import SecurityError

from tastemaker.channels import ads, formats, sandbox
from tastemaker.channels.kinds import open_slots
from tastemaker.channels.spec import Slots
from tastemaker.errors import InvalidInput, StageError
from tastemaker.experiences import ExperienceSpec
from tastemaker.types import Answer, CopyText, RequestContext, ResultItem

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC).timestamp()  # a Monday morning
SSTI = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ request.application.__globals__ }}",
    "{{ config.items() }}",
    "{% include '/etc/passwd' %}",
]


def spec(**delivery: Any) -> ExperienceSpec:
    return ExperienceSpec.model_validate(
        {
            "key": "weekend",
            "name": "Weekend",
            "prompt": {"kind": "text", "question": "What's the plan?"},
            "output": {"kind": delivery.pop("kind", "bundle")},
            "template": delivery.pop("template", "bundle"),
            "brand": {"name": "Weekend Supply Co."},
            "link_base": "https://shop.example/p/",
            "delivery": delivery,
        }
    )


def answer(titles: list[str] | None = None, **item_kw: Any) -> Answer:
    titles = titles or ["Beeswax Candle", "Rooibos Tea", "Jigsaw Puzzle 1000"]
    items = [
        ResultItem(
            id=f"p{n}",
            title=t,
            score=1.0,
            reasons=["matches your plan"],
            price=10.0 + n,
            **item_kw,
        )
        for n, t in enumerate(titles)
    ]
    return Answer(
        request_id="rid-7",
        workspace="demo",
        experience_key="weekend",
        experience_version=1,
        variant="A",
        user_id="u1",
        raw_choice=None,
        raw_text=None,
        context=RequestContext(),
        items=items,
        bundle_total=round(sum(i.price or 0 for i in items), 2),
        copy=CopyText("Your cozy weekend", "Three things for a slow Saturday.", "See the bundle"),
    )


def links(html: str) -> list[str]:
    return [m.replace("&amp;", "&") for m in re.findall(r'href="([^"]*)"', html)]


def test_every_channel_renders_and_tags_its_links_with_channel_and_request_id() -> None:
    out = formats.render_all(answer(), spec())
    assert set(out) == {"web", "landing", "email", "ads", "message", "json"}
    for channel in ("web", "landing", "email"):
        hrefs = links(out[channel]["html"])
        assert hrefs, channel
        for href in hrefs:
            assert f"utm_medium={channel}" in href and "tm_rid=rid-7" in href, href
    assert "utm_medium=ads" in out["ads"]["final_url"]
    assert "utm_medium=message&" in out["message"]["text"]
    data = out["json"]["data"]
    assert [i["id"] for i in data["items"]] == ["p0", "p1", "p2"]
    assert all("utm_medium=json" in i["url"] for i in data["items"])
    json.dumps(out)  # everything a webhook carries serializes


def test_landing_page_is_a_whole_document_around_the_fragment() -> None:
    html = formats.render(answer(), spec(), "landing")["html"]
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<title>Your cozy weekend · Weekend Supply Co.</title>" in html
    assert 'class="tm-result tm-result--bundle' in html


def test_email_inlines_css_has_text_part_and_follow_up_sequence() -> None:
    followups = [
        {"delay_days": 2, "subject": "Still thinking it over?", "intro": "Your picks are here."},
        {"delay_days": 5, "subject": "Last call", "intro": "The bundle is still yours."},
    ]
    out = formats.render(answer(), spec(email={"followups": followups}), "email")
    assert out["subject"] == "Your cozy weekend"
    assert "<style" not in out["html"]
    assert re.search(r'<h1 style="[^"]*font-size: 22px', out["html"])
    assert 'class="cta" href="' in out["html"] or 'href="' in out["html"]
    text = out["text"]
    assert "<" not in text and "Beeswax Candle (10.00)" in text
    assert "See the bundle: https://shop.example/p/?utm_source=tastemaker" in text
    steps = out["followups"]
    assert [(s["step"], s["send_after_days"], s["subject"]) for s in steps] == [
        (1, 2, "Still thinking it over?"),
        (2, 5, "Last call"),
    ]
    assert "Your picks are here." in steps[0]["text"]
    assert "tm_step=2" in steps[1]["text"] and "<style" not in steps[1]["html"]


def test_email_never_fetches_a_remote_stylesheet() -> None:
    brand = (
        '<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>'
        "<body>{{ copy.title }}</body></html>"
    )
    out = formats.render(answer(), spec(templates={"email_html": brand}), "email")
    assert "Your cozy weekend" in out["html"]  # rendered, with no connection attempted


def test_ads_respect_limits_cut_on_words_and_vary() -> None:
    long = answer(["An Extraordinarily Long Handmade Beeswax Pillar Candle"] * 2)
    long.copy = CopyText(
        "A wonderfully cozy weekend, all in one bundle",
        "Everything you need for a slow, quiet Saturday at home: light, warmth, tea and a "
        "puzzle to lose an afternoon in.",
        "See the bundle",
    )
    out = formats.render(long, spec(), "ads")
    source = [long.copy.title, long.copy.description, long.copy.cta, long.items[0].title]
    words = {w.strip(",.:;") for w in " ".join([*source, "Weekend Supply Co. With"]).split()}
    assert len(out["variants"]) >= 3
    assert len({(v["headline"], v["description"]) for v in out["variants"]}) == len(out["variants"])
    for v in out["variants"]:
        assert len(v["headline"]) <= 30 and len(v["description"]) <= 90
        for text in (v["headline"], v["description"]):
            # every word shown is a whole word of the copy, items or brand: no mid-word cut
            for word in text.removesuffix("…").split():
                assert word.strip(",.:;") in words, text


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short enough", 30, "Short enough"),
        ("A wonderfully cozy weekend, all in one", 30, "A wonderfully cozy weekend…"),
        ("Supercalifragilisticexpialidocious", 10, "Supercali…"),
        ("  spaced   out  ", 30, "spaced out"),
    ],
)
def test_fit_cuts_on_word_boundaries(text: str, limit: int, expected: str) -> None:
    assert ads.fit(text, limit) == expected
    assert len(ads.fit(text, limit)) <= limit


def test_message_is_short_plain_text_with_its_link_whole() -> None:
    out = formats.render(
        answer([f"Item number {n} with a long name" for n in range(12)]), spec(), "message"
    )
    text = out["text"]
    assert len(text) <= formats.MESSAGE_MAX
    assert "\n" not in text and "<" not in text
    assert text.split()[-1].startswith("https://shop.example/p/?utm_source=tastemaker")
    assert "+9 more" in text or "…" in text


def test_unknown_channel_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        formats.render(answer(), spec(), "fax")


def test_bundle_offer_states_price_and_deadline_everywhere() -> None:
    s = spec(offer={"percent_off": 20, "valid_hours": 48, "code": "WEEKEND20"})
    out = formats.render_all(answer(), s, now=NOW)
    # 10 + 11 + 12 = 33.00; 20% off = 26.40; 48 h after Mon 08:30 = Wed 08:30
    assert "26.40" in out["web"]["html"] and 'datetime="2026-03-04T08:30Z"' in out["web"]["html"]
    assert "20% off (26.40) until Wed 04 Mar, 08:30 UTC, code WEEKEND20" in out["email"]["text"]
    assert "20% off until Wed 04 Mar" in out["message"]["text"]
    assert out["json"]["data"]["offer"]["ends_at"] == "2026-03-04T08:30Z"


def test_open_slots_come_from_the_weekly_schedule_after_now() -> None:
    attrs = {"open_days": ["mon", "wed"], "open_hours": ["08:00", "14:30", "bad", "25:00"]}
    got = open_slots(attrs, Slots(per_item=3), NOW)
    assert [s["at"] for s in got] == ["2026-03-02T14:30Z", "2026-03-04T08:00Z", "2026-03-04T14:30Z"]
    assert open_slots({}, Slots(), NOW) == []


def test_service_package_and_travel_shortlist_templates() -> None:
    attrs = {"open_days": ["tue"], "open_hours": ["10:00"]}
    s = spec(kind="bundle", template="package", slots={"per_item": 2})
    html = formats.render(answer(attributes=attrs), s, "web", now=NOW)["html"]
    assert html.count('<time class="tm-slot" datetime="2026-03-03T10:00Z">') == 3
    assert 'datetime="2026-03-10T10:00Z"' in html
    trip = answer(attributes={"region": "Alps", "nights": 4.0, "season": ["winter", "spring"]})
    html = formats.render(trip, spec(kind="list", template="shortlist"), "web")["html"]
    assert "Alps" in html and "4 nights" in html and "winter, spring" in html


# -- injection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", SSTI)
def test_ssti_in_item_titles_is_printed_as_text(payload: str) -> None:
    out = formats.render_all(answer([payload, "Tea"]), spec())
    for channel in ("web", "landing", "email"):
        html = out[channel]["html"]
        assert "<class" not in html and "__globals__" not in html.replace(
            payload.replace("'", "&#39;"), ""
        ).replace(payload, "")
        assert "uid=" not in html
    assert payload in out["email"]["text"]  # the literal text, not its evaluation


@pytest.mark.parametrize("payload", SSTI)
def test_ssti_in_a_brand_template_is_blocked(payload: str) -> None:
    with pytest.raises((SecurityError, StageError, Exception)) as info:
        sandbox.render(sandbox.brand_template(payload, html=True), {"copy": {}, "items": []})
    assert "uid=" not in str(info.value)
    # Through a channel: the brand's template fails and the shipped one is used instead.
    out = formats.render(answer(), spec(templates={"web": payload}), "web")
    assert 'class="tm-result tm-result--bundle' in out["html"]
    assert "<class" not in out["html"]


def test_script_in_titles_and_javascript_urls_are_harmless() -> None:
    evil = answer(["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
    evil.items[0].url = "javascript:alert(document.cookie)"
    evil.items[1].url = " JaVa\tScRiPt:alert(1)"
    out = formats.render_all(evil, spec())
    for channel in ("web", "landing", "email"):
        html = out[channel]["html"]
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html
        for href in links(html):
            assert href.startswith("https://"), href
    assert "javascript" not in json.dumps(out["json"]).lower()


def test_brand_template_url_filter_allows_only_http_and_mailto() -> None:
    tpl = sandbox.brand_template('<a href="{{ u | url }}">x</a>', html=True)
    assert sandbox.render(tpl, {"u": "javascript:alert(1)"}) == '<a href="#">x</a>'
    assert sandbox.render(tpl, {"u": "data:text/html,hi"}) == '<a href="#">x</a>'
    assert sandbox.render(tpl, {"u": "mailto:a@b.example"}) == '<a href="mailto:a@b.example">x</a>'
    assert sandbox.render(tpl, {"u": 'https://x.example/?q="a"'}) == (
        '<a href="https://x.example/?q=&#34;a&#34;">x</a>'
    )


def test_a_brand_template_that_loops_or_balloons_is_stopped() -> None:
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    with pytest.raises(sandbox.RenderLimit):
        sandbox.render(sandbox.brand_template(loop, html=True), {}, max_seconds=0.05)
    big = "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}"
    with pytest.raises(sandbox.RenderLimit):
        sandbox.render(sandbox.brand_template(big, html=True), {}, max_bytes=100_000)
    # Through a channel, a runaway brand template costs the look, not the result.
    out = formats.render(answer(), spec(templates={"web": big}), "web")
    assert 'class="tm-result' in out["html"]


def test_unknown_brand_template_slot_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown template"):
        spec(templates={"sms": "hi"})


def test_a_brand_template_replaces_the_shipped_one() -> None:
    s = spec(
        templates={
            "message": "{{ brand.name }} picked {{ items | length }} for you: {{ link }}",
            "web": '<div class="brand">{% for i in items %}<a href="{{ i.url | url }}">'
            "{{ i.title }}</a>{% endfor %}</div>",
        }
    )
    out = formats.render_all(answer(["<b>Tea</b>"]), s)
    assert out["message"]["text"].startswith("Weekend Supply Co. picked 1 for you: https://")
    html = out["web"]["html"]
    assert html.startswith('<div class="brand"><a href="https://shop.example/p/p0?utm_source')
    assert "&lt;b&gt;Tea&lt;/b&gt;" in html
    # The landing page wraps the brand's fragment.
    assert '<div class="brand">' in out["landing"]["html"]
