"""A real HTTP server speaking the OpenAI chat-completions protocol, for copywriter tests.

It runs on a free local port in a thread. What it answers depends on the ``model`` asked for:

- ``good``: JSON copy built from the facts it was sent (so it is grounded);
- ``lines``: the same copy as ``Title:`` / ``Description:`` / ``CTA:`` lines;
- ``ungrounded``: copy naming an item and a discount that are not among the facts;
- ``banned``: copy making a claim the brand bans ("best");
- ``slow``: good copy after five seconds;
- ``error``: HTTP 500;  ``garbage``: prose with no copy in it;
- any model: 401 unless the request carries ``Authorization: Bearer <api_key>`` when the server
  was started with one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class LLMServer:
    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


def _good(facts: dict[str, Any]) -> dict[str, str]:
    subject = facts.get("subject") or "evening"
    first = facts["items"][0]["title"] if facts.get("items") else "these"
    return {
        "title": f"Your {subject} picks",
        "description": f"{facts.get('count', 0)} picks for you, starting with {first}.",
        "cta": "Take a look",
    }


def _reply(model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | str]:
    user = body["messages"][-1]["content"]
    facts = json.loads(user.split("Facts: ", 1)[1])
    copy = _good(facts)
    if model == "error":
        return 500, {"error": {"message": "model crashed"}}
    if model == "slow":
        time.sleep(5.0)
    if model == "ungrounded":
        copy["description"] = "Includes Thriller by Michael Jackson, now 50% off."
    if model == "banned":
        copy["title"] = "The best picks ever"
    content = json.dumps(copy)
    if model == "lines":
        content = f"Title: {copy['title']}\nDescription: {copy['description']}\nCTA: {copy['cta']}"
    if model == "garbage":
        content = "Sure! I would love to help you write some copy."
    return 200, {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }


@contextmanager
def llm_server(api_key: str = "") -> Iterator[LLMServer]:
    state = LLMServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            if api_key and self.headers.get("Authorization") != f"Bearer {api_key}":
                status, payload = 401, {"error": {"message": "bad key"}}
            elif self.path != "/v1/chat/completions":
                status, payload = 404, {"error": {"message": "not found"}}
            else:
                status, payload = _reply(body["model"], body)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
