"""Copy latency: what writing and checking the words adds to an answer.

    python benchmarks/copy_latency.py     # template copywriter, and the local model if installed
    python benchmarks/copy_latency.py --n 5000 --local-n 30
    python benchmarks/copy_latency.py --chat-url http://127.0.0.1:8080/v1 --chat-model smollm2

Times, per answer, the three parts of the copy path on 10 realistic chosen items: the input
checks on the person's answer (capture), the copywriter, and the guard (brand rules and output
checks), and prints p50/p99 of each and of their sum. The template copywriter is always
measured; the local model (SmolLM2-135M through llama.cpp) when ``tastemaker[llm]`` is
installed; any OpenAI-compatible server when ``--chat-url`` is given. For the models it also
prints how often their copy was used rather than falling back to the template copy (and why).
Every answer is distinct, so the model copywriter's cache never answers. Nothing here asserts.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, and its name would shadow the
# standard library's ``copy`` module (which dataclasses imports): take the folder off the path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from tastemaker.copywriters import COPY_FALLBACKS, ChatCompletionsBackend, ModelCopywriter  # noqa: E402
from tastemaker.experiences import (  # noqa: E402
    Brand,
    ChannelLimits,
    Choice,
    CopywriterConfig,
    ExperienceSpec,
    Prompt,
)
from tastemaker.guardrails.checks import scan  # noqa: E402
from tastemaker.pipeline import capture, copywriting, guard  # noqa: E402
from tastemaker.pipeline.copywriting import Copywriter  # noqa: E402
from tastemaker.types import Answer, Intent, RequestContext, ResultItem  # noqa: E402

GENRES = ["jazz", "ambient", "folk", "soul", "rock", "techno", "classical", "hip hop"]
MOODS = ["calm", "cosy", "upbeat", "dreamy", "melancholy", "energetic", "focused"]
PHRASES = [
    "something {m} for a rainy sunday",
    "{g} for cooking dinner",
    "{m} {g} while I work",
    "I want {m} music for a long drive",
    "give me some {g} for the gym",
    "a {m} {g} evening with friends",
    "late night {g}",
    "{g} like my dad used to play",
    "music to read to, {m}",
    "{m} tunes for a picnic",
]


def make_spec(budget_ms: float = 1500) -> ExperienceSpec:
    return ExperienceSpec(
        key="bench",
        name="Bench",
        prompt=Prompt(
            kind="text",
            question="What are you in the mood for?",
            choices=[Choice(id=g.replace(" ", "-"), label=g.title()) for g in GENRES],
        ),
        brand=Brand(
            name="Acme Records",
            banned_words=["cheap", "knock-off", "bargain bin"],
            competitors=["Spotiflix", "Tunely"],
            legal_lines=["Prices include VAT."],
            channel_limits={
                "ad": ChannelLimits(title=30, description=90, cta=20),
                "sms": ChannelLimits(title=40, description=140, cta=20),
            },
        ),
        copywriter=CopywriterConfig(kind="chat", budget_ms=budget_ms),
    )


def make_answers(n: int, spec: ExperienceSpec, seed: int = 7) -> list[Answer]:
    rng = random.Random(seed)
    answers = []
    for k in range(n):
        text = rng.choice(PHRASES).format(m=rng.choice(MOODS), g=rng.choice(GENRES))
        a = Answer(f"r{k}", "ws", spec.key, 1, "default", f"u{k}", None, text, RequestContext())
        capture.run(a, spec)
        a.intent = Intent(text=text, moods=[rng.choice(MOODS)])
        genre = rng.choice(GENRES)
        a.items = [
            ResultItem(
                f"i{k}-{j}",
                f"{rng.choice(MOODS).title()} {rng.choice(GENRES).title()} Sessions Vol. {j + 1}",
                1.0 - j / 10,
                [],
                price=round(rng.uniform(5, 30), 2),
                attributes={"genre": genre if j % 3 else rng.choice(GENRES)},
            )
            for j in range(10)
        ]
        answers.append(a)
    return answers


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(
    label: str, copywriter: Copywriter, answers: list[Answer], spec: ExperienceSpec
) -> None:
    parts: dict[str, list[float]] = {"input checks": [], "copywriter": [], "guard": [], "total": []}
    sources: Counter[str] = Counter()
    before = Counter(COPY_FALLBACKS)
    rails = spec.guardrails
    for a in answers:
        t0 = time.perf_counter()
        scan(a.captured.text if a.captured else "", allowed_topics=rails.allowed_topics)
        t1 = time.perf_counter()
        copywriting.run(a, spec, copywriter)
        t2 = time.perf_counter()
        guard.run(a, spec)
        t3 = time.perf_counter()
        for name, value in (
            ("input checks", t1 - t0),
            ("copywriter", t2 - t1),
            ("guard", t3 - t2),
            ("total", t3 - t0),
        ):
            parts[name].append(value * 1000)
        sources[a.copy.source if a.copy else "none"] += 1
    print(f"\n{label}: {len(answers)} answers")
    for name, values in parts.items():
        print(
            f"  {name:13s} p50 {pct(values, 0.5):9.3f} ms   p99 {pct(values, 0.99):9.3f} ms   "
            f"mean {statistics.fmean(values):9.3f} ms"
        )
    print("  copy used:", dict(sources))
    fell = Counter(COPY_FALLBACKS)
    fell.subtract(before)
    if +fell:
        print("  fell back because:", dict(+fell))


def _local(n: int) -> Callable[[], None] | None:
    try:
        from tastemaker.copywriters.local import LlamaBackend
    except ImportError:
        print("\nlocal model: not installed (pip install 'tastemaker[llm]'); skipped")
        return None

    def run() -> None:
        t = time.perf_counter()
        backend = LlamaBackend()
        print(f"\nlocal model loaded in {time.perf_counter() - t:.2f} s ({backend.name})")
        spec = make_spec(budget_ms=30_000)  # measure the model, not the budget
        writer = ModelCopywriter(backend, timeout_cap=60)
        measure(f"local {backend.name}", writer, make_answers(n, spec, 11), spec)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="answers for the template path")
    parser.add_argument("--local-n", type=int, default=20, help="answers for the local model")
    parser.add_argument("--no-local", action="store_true")
    parser.add_argument("--chat-url", default="", help="an OpenAI-compatible base URL (…/v1)")
    parser.add_argument("--chat-model", default="")
    parser.add_argument("--chat-n", type=int, default=50)
    args = parser.parse_args()

    spec = make_spec()
    warm = make_answers(200, spec, seed=1)
    measure("warm-up (not counted)", copywriting.DEFAULT_COPYWRITER, warm, spec)
    measure("template copywriter", copywriting.DEFAULT_COPYWRITER, make_answers(args.n, spec), spec)
    if args.chat_url:
        backend = ChatCompletionsBackend(args.chat_url, args.chat_model)
        measure(
            f"chat {args.chat_url} {args.chat_model}",
            ModelCopywriter(backend),
            make_answers(args.chat_n, spec, 13),
            spec,
        )
    if not args.no_local:
        run = _local(args.local_n)
        if run is not None:
            run()


if __name__ == "__main__":
    main()
