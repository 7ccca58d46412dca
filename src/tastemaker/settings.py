"""Settings, read once from the environment.

Only the runner, the engine, the API factory and the CLI read settings; pipeline stages receive
what they need as arguments, so they stay testable without an environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_OFF = frozenset({"0", "false", "no", "off"})


def _default_data_dir() -> Path:
    return Path(os.environ.get("TASTEMAKER_DATA_DIR", ".tastemaker")).resolve()


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable about a running tastemaker."""

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    encoder: str = "static"
    max_body_bytes: int = 1_000_000
    max_batch: int = 10_000
    max_answer_chars: int = 2_000
    # requests per API key ("N/second", "N/minute"; empty: unlimited), shared through Redis
    # when redis_url is set (tastemaker.api.ratelimit)
    rate_limit: str = "600/second"
    log_format: str = "json"  # "json": one JSON object per line with the request id; "text"
    reload_check_seconds: float = 2.0
    learn_ranker: bool = True  # fit learns the ranker's weights from events (tastemaker.learn)
    # threads building the fit's neighbour graphs: 0 every core; 1 a repeatable fit, the same
    # items and events giving the same snapshot (tastemaker.fit.build_catalog)
    fit_threads: int = 0
    # shared bandit state in Redis (the ``redis`` extra; else the database); erasure also
    # clears the person's keys under redis_prefix
    redis_url: str = ""
    redis_prefix: str = "tastemaker:"
    # Syndication (tastemaker.syndication): private webhook destinations are refused unless an
    # operator allows them; the server delivers webhooks and runs due refreshes in-process.
    webhook_allow_private: bool = False
    deliver_in_server: bool = True
    delivery_poll_seconds: float = 5.0
    # The OpenAI-compatible chat-completions server of the "chat" copywriter (OpenAI, vLLM,
    # Ollama, llama.cpp's server): base URL up to and including "/v1", model name and key.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_seconds: float = 10.0  # a cap over every experience's own latency budget
    local_model_path: str = ""  # a GGUF file for the "local" copywriter; default: SmolLM2-135M
    # Origins whose pages may call the API from a browser (the widget on a brand's own site).
    # Keys travel in the Authorization header, never in cookies, so "*" exposes nothing a
    # page could not already send; list origins to keep other sites from using a public key.
    cors_origins: tuple[str, ...] = ("*",)

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'tastemaker.db'}")

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        data_dir = _default_data_dir()
        return cls(
            data_dir=data_dir,
            database_url=env.get("TASTEMAKER_DATABASE_URL", ""),
            encoder=env.get("TASTEMAKER_ENCODER", "static"),
            max_body_bytes=int(env.get("TASTEMAKER_MAX_BODY_BYTES", "1000000")),
            max_batch=int(env.get("TASTEMAKER_MAX_BATCH", "10000")),
            rate_limit=env.get("TASTEMAKER_RATE_LIMIT", "600/second"),
            log_format=env.get("TASTEMAKER_LOG_FORMAT", "json").lower(),
            learn_ranker=env.get("TASTEMAKER_LEARN_RANKER", "1").lower() not in _OFF,
            fit_threads=int(env.get("TASTEMAKER_FIT_THREADS", "0")),
            redis_url=env.get("TASTEMAKER_REDIS_URL", ""),
            redis_prefix=env.get("TASTEMAKER_REDIS_PREFIX", "tastemaker:"),
            webhook_allow_private=env.get("TASTEMAKER_WEBHOOK_ALLOW_PRIVATE", "0").lower()
            not in _OFF,
            deliver_in_server=env.get("TASTEMAKER_DELIVER_IN_SERVER", "1").lower() not in _OFF,
            delivery_poll_seconds=float(env.get("TASTEMAKER_DELIVERY_POLL_SECONDS", "5")),
            llm_base_url=env.get("TASTEMAKER_LLM_BASE_URL", ""),
            llm_model=env.get("TASTEMAKER_LLM_MODEL", ""),
            llm_api_key=env.get("TASTEMAKER_LLM_API_KEY", ""),
            llm_timeout_seconds=float(env.get("TASTEMAKER_LLM_TIMEOUT_SECONDS", "10")),
            local_model_path=env.get("TASTEMAKER_LOCAL_MODEL_PATH", ""),
            cors_origins=_origins(env.get("TASTEMAKER_CORS_ORIGINS", "*")),
        )


def _origins(value: str) -> tuple[str, ...]:
    """``TASTEMAKER_CORS_ORIGINS``: comma-separated origins, ``*`` for any, empty for none."""
    return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
