"""A client for OpenAI-compatible chat-completions servers (OpenAI, vLLM, Ollama, llama.cpp).

One ``POST {base_url}/chat/completions`` per call over a pooled :class:`httpx.Client`; the timeout
is set per call from what is left of the experience's latency budget. Errors are raised as
:class:`BackendError` for the model copywriter to fall back on; nothing here retries, because a
retry would only spend the person's wait on a server that just failed.
"""

from __future__ import annotations

from typing import Any

import httpx


class BackendError(Exception):
    """The model could not give an answer: HTTP error, timeout, or a malformed response."""


class ChatCompletionsBackend:
    """Chat completions over HTTP; ``base_url`` ends where ``/chat/completions`` begins."""

    def __init__(
        self, base_url: str, model: str, api_key: str = "", *, client: httpx.Client | None = None
    ) -> None:
        if not base_url:
            raise ValueError("the chat copywriter needs TASTEMAKER_LLM_BASE_URL")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.name = f"chat:{model}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(
            headers=headers,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
            follow_redirects=False,
        )

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        timeout: float,
    ) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": False,
        }
        try:
            response = self._client.post(self.url, json=body, timeout=timeout)
            response.raise_for_status()
            data = response.json()
        except httpx.TimeoutException as exc:
            raise BackendError(f"timeout after {timeout:.2f}s") from exc
        except httpx.HTTPStatusError as exc:
            raise BackendError(f"HTTP {exc.response.status_code}") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise BackendError(f"{type(exc).__name__}: {exc}") from exc
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise BackendError("response has no choices[0].message.content") from exc
        if not isinstance(content, str):
            raise BackendError("message content is not text")
        return content

    def close(self) -> None:
        self._client.close()
