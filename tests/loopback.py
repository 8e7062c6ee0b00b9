"""Loopback helpers shared by the tests and the benchmarks (both run from the repository
root). The servers themselves: tests/feed_server.py (feeds and article pages),
tests/openai_server.py (an OpenAI-compatible LLM) and tests/discord_fake/ (Discord)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (until someone binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
