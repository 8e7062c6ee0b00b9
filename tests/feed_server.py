"""A loopback HTTP server for feeds and article pages, scriptable per path.

Routes map a path to a Route: fixed bytes, a file, a status, a redirect, a delay, a slow
endless stream, or a callable. ETag/Last-Modified are honoured so conditional GET can be
tested. Every request is recorded.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    delay: float = 0.0
    redirect_to: str | None = None
    endless: bool = False  # stream forever, a little at a time
    gzip: bool = False
    fail_times: int = 0  # answer 503 this many times first


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[Request], Route]] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server._serve(self)

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that hang up early (size caps, timeouts) are the point

        self._httpd = QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def add_file(self, path: str, file: Path, **kwargs: object) -> str:
        self.routes[path] = Route(body=file.read_bytes(), **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def add(self, path: str, route: Route | Callable[[Request], Route]) -> str:
        self.routes[path] = route
        return self.url(path)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        request = Request("GET", h.path, {k.lower(): v for k, v in h.headers.items()})
        self.requests.append(request)
        route = self.routes.get(h.path.split("?")[0])
        if callable(route):
            route = route(request)
        if route is None:
            self._send(h, 404, b"not found", "text/plain", {})
            return
        if route.fail_times > 0:
            route.fail_times -= 1
            self._send(h, 503, b"busy", "text/plain", {})
            return
        if route.delay:
            time.sleep(route.delay)
        if route.redirect_to:
            self._send(h, 302, b"", "text/plain", {"Location": route.redirect_to})
            return
        if route.etag and request.headers.get("if-none-match") == route.etag:
            self._send(h, 304, b"", route.content_type, {"ETag": route.etag})
            return
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.endless:
            self._stream_forever(h, route)
            return
        body = route.body
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._send(h, route.status, body, route.content_type, headers)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
              headers: dict[str, str]) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                h.send_header(key, value)
            h.end_headers()
            if status != 304:
                h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _stream_forever(h: BaseHTTPRequestHandler, route: Route) -> None:
        try:
            h.send_response(200)
            h.send_header("Content-Type", route.content_type)
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            deadline = time.monotonic() + 30  # bounded even if the client never hangs up
            while time.monotonic() < deadline:
                piece = b"<item><title>x</title></item>" * 10
                h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                h.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
