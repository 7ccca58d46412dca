"""Sensitive topics: the seven kinds of inference the engine must never make about a person.

Each topic is a short list of the words people actually use for it. The lists are deliberately
about *people and their situation* ("diabetic", "laid off", "pregnant"), not about products
("sugar-free", "budget", "baby gift"), so an ordinary shopping constraint is never mistaken for
a confession; ``tests/data/guard_cases.jsonl`` holds both kinds and ``scripts/eval_guards.py``
prints how often each topic catches the first and leaves the second alone.

A term matches as a whole word, case-insensitively, with simple inflections of its last word
(``-s``, ``-es``, ``-ed``, ``-ing``); a term ending in ``*`` matches any continuation.
"""

from __future__ import annotations

from typing import Final, Literal

SensitiveTopic = Literal[
    "health",
    "religion",
    "ethnicity",
    "sexual_orientation",
    "political_views",
    "pregnancy",
    "financial_hardship",
]

TOPICS: Final[dict[SensitiveTopic, tuple[str, ...]]] = {
    "health": (
        "diabetes", "diabetic", "cancer", "chemo*", "tumou?r", "depression", "depressed",
        "anxiety disorder", "my anxiety", "panic attack", "adhd", "autism", "autistic", "hiv",
        "illness", "terminally ill", "chronic pain", "chronic illness", "diagnos*", "medication",
        "antidepressant", "insulin", "rehab", "surgery", "migraine", "asthma", "arthritis",
        "dementia", "alzheimer*", "bipolar", "schizophren*", "eating disorder", "anorexi*",
        "bulimi*", "ptsd", "disabilit*", "wheelchair", "covid", "obese", "obesity",
        "blood pressure", "cholesterol", "heart condition", "insomnia", "mental health",
        "my therapist", "recovering addict", "sobriety", "relapse", "epilep*", "crohn*",
        "ibs", "celiac", "coeliac", "infertil*", "std", "sti", "herpes", "hepatitis",
    ),
    "religion": (
        "christian", "muslim", "islam*", "jewish", "judaism", "hindu*", "buddhis*", "sikh*",
        "catholic", "protestant", "mormon", "evangelical", "mosque", "synagogue", "ramadan",
        "passover", "kosher", "halal", "bible", "quran", "koran", "torah", "atheist",
        "my faith", "my religion", "religious", "pray", "prayer", "jehovah*", "church",
    ),
    "ethnicity": (
        "ethnicity", "ethnic", "racial", "race", "african american", "hispanic", "latino",
        "latina", "latinx", "asian american", "caucasian", "white people", "black people",
        "people of colou?r", "indigenous", "native american", "aboriginal", "biracial",
        "mixed race", "my heritage", "immigrant",
    ),
    "sexual_orientation": (
        "gay", "lesbian", "bisexual", "queer", "lgbt*", "homosexual", "heterosexual",
        "pansexual", "asexual", "transgender", "trans woman", "trans man", "non-binary",
        "nonbinary", "coming out", "same-sex", "my boyfriend and i are both", "sexuality",
        "sexual orientation",
    ),
    "political_views": (
        "democrat*", "republican*", "liberal", "leftist", "left-wing", "right-wing",
        "socialist", "communist", "fascist", "maga", "trump", "biden", "labour party",
        "tory", "tories", "election", "vote", "voting", "voter", "pro-life", "pro-choice",
        "abortion", "political", "politics", "brexit", "immigration policy", "gun control",
    ),
    "pregnancy": (
        "pregnant", "pregnancy", "expecting a baby", "expecting mother", "trimester",
        "prenatal", "antenatal", "morning sickness", "baby bump", "ivf", "miscarriage",
        "trying to conceive", "maternity leave", "expecting twins", "my due date",
    ),
    "financial_hardship": (
        "broke", "can't afford", "cannot afford", "can not afford", "unemployed",
        "laid off", "lost my job", "jobless", "in debt", "my debt", "debts", "bankrupt*",
        "eviction", "evicted", "payday loan", "food bank", "food stamps", "welfare",
        "struggling to pay", "poverty", "living paycheck to paycheck", "behind on rent",
        "overdraft", "money is tight", "out of work", "benefits cut",
    ),
}
