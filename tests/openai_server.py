"""A real OpenAI-compatible HTTP server for tests, scripted one reply at a time.

    with OpenAICompatServer() as server:
        server.reply(json.dumps({...}))          # chat content for the next request
        server.reply_error(500)                  # then an HTTP 500
        ...
        server.requests[0].messages              # what the client sent

The server runs aiohttp on its own event loop in a daemon thread, so it serves sync tests
and async tests (whose loop may be blocked by a sync client call) alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.loopback import free_port


@dataclass(frozen=True)
class Behaviour:
    """How the server answers one chat-completions request."""

    content: str = ""
    status: int = 200
    delay: float = 0.0
    raw_body: str | None = None  # sent verbatim instead of a chat-completion body
    finish_reason: str = "stop"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it was not JSON

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.body, dict):
            return list(self.body.get("messages", []))
        return []

    def content_of(self, role: str) -> str:
        """The text of every message with `role`, joined by blank lines."""
        return "\n\n".join(_text(m.get("content")) for m in self.messages if m.get("role") == role)


Script = Callable[[RecordedRequest], Behaviour]


@dataclass
class OpenAICompatServer:
    """`POST /v1/chat/completions` and `GET /v1/models` on 127.0.0.1, ephemeral port.

    Replies come from a FIFO queue (`reply`, `reply_json`, `reply_error`, `reply_slow`,
    `reply_raw`, or `enqueue(Behaviour(...))`); when it is empty, `script` (a callable
    taking the RecordedRequest) decides, and without a script the server answers HTTP 500
    "no scripted reply" so an unexpected call cannot pass silently.
    """

    model: str = "test-model"
    script: Script | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    _queue: deque[Behaviour] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _port: int | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _runner: web.AppRunner | None = field(default=None, repr=False)
    _stopping: asyncio.Event | None = field(default=None, repr=False)

    # --- scripting ------------------------------------------------------------------
    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def reply(self, content: str) -> None:
        """The next request gets `content` as the assistant message (any text)."""
        self.enqueue(Behaviour(content=content))

    def reply_json(self, obj: Any) -> None:
        self.enqueue(Behaviour(content=json.dumps(obj)))

    def reply_error(self, status: int = 500, message: str = "internal error") -> None:
        body = json.dumps({"error": {"message": message, "type": "server_error", "code": None}})
        self.enqueue(Behaviour(status=status, raw_body=body))

    def reply_slow(self, seconds: float, content: str = "{}") -> None:
        """Wait `seconds` before answering (cut short when the server stops)."""
        self.enqueue(Behaviour(content=content, delay=seconds))

    def reply_raw(self, body: str, status: int = 200) -> None:
        """Send `body` verbatim as the HTTP response, e.g. a broken JSON document."""
        self.enqueue(Behaviour(status=status, raw_body=body))

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # --- lifecycle ------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server is not running")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAICompatServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        self._port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, started), name="openai-compat-server", daemon=True
        )
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("test OpenAI server did not start")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> OpenAICompatServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- server internals -----------------------------------------------------------
    def _run(self, sock: socket.socket, started: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve(sock))
        started.set()
        self._loop.run_forever()

    async def _serve(self, sock: socket.socket) -> None:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        assert self._stopping is not None and self._runner is not None
        self._stopping.set()
        await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        self._record(request, None)
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "tests"}],
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        text = await request.text()
        try:
            body: Any = json.loads(text)
        except json.JSONDecodeError:
            body = text
        recorded = self._record(request, body)
        behaviour = self._next(recorded)
        if behaviour.delay:
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), behaviour.delay)
        if behaviour.raw_body is not None:
            return web.Response(
                status=behaviour.status, text=behaviour.raw_body, content_type="application/json"
            )
        model = body.get("model", self.model) if isinstance(body, dict) else self.model
        return web.json_response(_completion(model, behaviour), status=behaviour.status)

    def _record(self, request: web.Request, body: Any) -> RecordedRequest:
        recorded = RecordedRequest(request.method, request.path, dict(request.headers), body)
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def _next(self, recorded: RecordedRequest) -> Behaviour:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.script is not None:
            return self.script(recorded)
        body = json.dumps({"error": {"message": "no scripted reply", "type": "server_error"}})
        return Behaviour(status=500, raw_body=body)


def _completion(model: str, behaviour: Behaviour) -> dict[str, Any]:
    words = len(behaviour.content.split())
    return {
        "id": f"chatcmpl-test-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": behaviour.content},
                "finish_reason": behaviour.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": words, "total_tokens": 10 + words},
    }


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/v1"
