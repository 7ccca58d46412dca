"""Sensitive topics by meaning: the answer's embedding against short topic descriptions.

Word lists miss what people say in their own way ("baby is due in march", "bar mitzvah",
"can't pay bills"). The encoder that already embeds every answer places such text near a short
description of its topic, so a cosine similarity over a threshold flags it too. The threshold
(0.5 with the shipped static encoder) was chosen on ``tests/data/guard_cases.jsonl``, where it
raises no false alarm, and measured on ``guard_cases_holdout.jsonl``, written after the checks
were frozen (``scripts/eval_guards.py`` prints both).

This runs on the person's answer only (the runner has the encoder there); copy is checked by the
word lists, since the copy is written from facts that never carry a flagged answer.
"""

from __future__ import annotations

import threading
from collections.abc import Collection

import numpy as np
import numpy.typing as npt

from tastemaker.encoders import Encoder
from tastemaker.guardrails.topics import SensitiveTopic

THRESHOLD = 0.5

DESCRIPTIONS: dict[SensitiveTopic, tuple[str, ...]] = {
    "health": (
        "a medical condition or illness",
        "mental health, depression or anxiety",
        "disease, diagnosis, treatment, medication",
        "cancer chemotherapy hospital",
    ),
    "religion": (
        "religious faith and worship",
        "church, mosque, synagogue, temple",
        "religious holiday like eid, diwali, hanukkah, bar mitzvah",
        "prayer and god",
    ),
    "ethnicity": ("race and ethnic heritage", "ethnic identity and ancestry"),
    "sexual_orientation": (
        "gay, lesbian, bisexual or transgender identity",
        "LGBTQ pride and coming out",
    ),
    "political_views": ("political party and elections", "political rally, protest and ideology"),
    "pregnancy": ("pregnancy and expecting a baby", "maternity, due date and trimester"),
    "financial_hardship": (
        "cannot afford bills, unemployed, in debt",
        "poverty and money problems, lost job",
    ),
}

_lock = threading.Lock()
_vectors: dict[int, tuple[Encoder, list[tuple[SensitiveTopic, npt.NDArray[np.float32]]]]] = {}


def _topic_vectors(encoder: Encoder) -> list[tuple[SensitiveTopic, npt.NDArray[np.float32]]]:
    """The descriptions embedded once per encoder (keyed by identity; the encoder is kept)."""
    hit = _vectors.get(id(encoder))
    if hit is None or hit[0] is not encoder:
        with _lock:
            rows = [
                (t, encoder.encode(list(d)).astype(np.float32)) for t, d in DESCRIPTIONS.items()
            ]
            hit = (encoder, rows)
            _vectors[id(encoder)] = hit
    return hit[1]


def topics(
    text: str,
    encoder: Encoder,
    allowed: Collection[str] = (),
    threshold: float = THRESHOLD,
) -> list[SensitiveTopic]:
    """The sensitive topics ``text`` is about by meaning, except the allowed ones."""
    if not text.strip():
        return []
    vector = encoder.encode([text])[0]
    return [
        topic
        for topic, matrix in _topic_vectors(encoder)
        if topic not in allowed and float((matrix @ vector).max()) >= threshold
    ]


def flag_answer(
    answer_text: str, flags: list[str], encoder: Encoder, allowed: Collection[str]
) -> None:
    """Add ``sensitive:<topic>`` to ``flags`` for topics the words did not already flag."""
    for topic in topics(answer_text, encoder, allowed):
        label = f"sensitive:{topic}"
        if label not in flags:
            flags.append(label)
