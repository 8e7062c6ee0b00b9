"""The composition root: `bot.main.main(settings)` against the fake Discord."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import discord
import pytest

from bot.main import NO_TOKEN, main, run_bot
from newsbot.library import Library
from tests.conftest import make_settings
from tests.discord_fake import GUILD_ID, FakeDiscord
from tests.doubles import HashingEmbedder
from tests.loopback import free_port
from tests.test_bot_support import all_text, fake

pytestmark = [pytest.mark.timeout(60)]
__all__ = ["fake"]
TOKEN = "fake-bot-token"
HOOKS = Path(__file__).resolve().parent / "subprocess_hooks"


def refusing_url() -> str:
    """An API base on a loopback port nothing listens on: connections are refused."""
    return f"http://127.0.0.1:{free_port()}/api/v10"


def test_start_without_network_is_one_line_of_advice(tmp_path: Path) -> None:
    """`DISCORD_TOKEN=… newsbot start` (what `make run` runs) when Discord is unreachable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), env.get("PYTHONPATH")])),
        "NEWSBOT_TEST_EMBEDDER": "hashing", "NEWSBOT_TEST_DISCORD_API": refusing_url(),
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"), "DISCORD_TOKEN": TOKEN,
        "NEWSBOT_REGISTRY__BASE_URL": "http://0.0.0.0:9/api/v2",  # no registry in tests
    })
    started = time.monotonic()
    done = subprocess.run([str(Path(sys.executable).parent / "newsbot"), "start"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    elapsed = time.monotonic() - started
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "ClientConnector" not in done.stderr
    assert len(errors) == 1, done.stderr
    assert "Cannot reach Discord (127.0.0.1: " in errors[0]
    assert "check the network connection" in errors[0] and "newsbot console" in errors[0]
    assert TOKEN not in done.stderr + done.stdout
    assert elapsed < 30


def test_start_without_a_token_is_a_console_without_log_lines(tmp_path: Path) -> None:
    """`make run` on a newcomer's machine: the console over the sample feeds, and no INFO
    line of the bot's (an offline registry is not news to someone trying the demo)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NEWSBOT_") and k != "DISCORD_TOKEN"}
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), env.get("PYTHONPATH")])),
        "NEWSBOT_TEST_EMBEDDER": "hashing", "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_REGISTRY__BASE_URL": refusing_url().replace("/api/v10", "/api/v2"),
    })
    done = subprocess.run([str(Path(sys.executable).parent / "newsbot"), "start"], env=env,
                          cwd=tmp_path, input="quit\n", capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "local console" in done.stderr, done.stderr
    assert " INFO " not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_without_a_token_it_says_how_to_get_one(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot(make_settings(tmp_path)) == 2
    assert capsys.readouterr().err.strip() == NO_TOKEN


@pytest.mark.asyncio
async def test_main_opens_resources_syncs_to_the_guild_and_runs(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[str] = []
    real_open, real_close = Library.open.__func__, Library.close  # type: ignore[attr-defined]

    def open_fast(cls: type[Library], settings: object, embedder: object = None, *,
                  tolerate_store_down: bool = False) -> Library:
        events.append(f"open tolerant={tolerate_store_down}")
        return real_open(cls, settings, HashingEmbedder(),  # no model load in tests
                         tolerate_store_down=tolerate_store_down)

    def close(self: Library) -> None:
        events.append("close")
        real_close(self)

    monkeypatch.setattr(Library, "open", classmethod(open_fast))
    monkeypatch.setattr(Library, "close", close)
    settings = make_settings(tmp_path, discord_token=TOKEN, discord_guild_id=GUILD_ID)
    caplog.set_level(logging.DEBUG)
    task = asyncio.create_task(main(settings))
    try:
        await fake.wait_until(lambda: fake.commands.get(GUILD_ID), what="the command sync")
        names = {c["name"] for c in fake.commands[GUILD_ID]}
        assert {"ask", "latest", "digest", "sources", "status", "reingest", "feeds",
                "digest-subscribe", "digest-unsubscribe", "bot-settings"} <= names
        assert None not in fake.commands  # nothing synced globally
        await fake.wait_until(lambda: fake.identifies, what="IDENTIFY")
        ix = await fake.send_interaction("status", {})
        assert "0 articles" in all_text(await ix.wait_answer(timeout=10))
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    intents = discord.Intents(fake.identifies[0]["intents"])
    assert intents.message_content and intents.guilds and intents.guild_messages
    assert not intents.members and not intents.presences
    assert TOKEN not in caplog.text
    # opened so that a Chroma server down at start is retried; closed on the way out
    assert events == ["open tolerant=True", "close"]


def test_a_model_that_cannot_be_built_leaves_the_bot_extractive(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from bot.main import _chat_model

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with caplog.at_level(logging.WARNING, logger="bot.main"):
        assert _chat_model(make_settings(tmp_path, llm_model="nosuchprovider:model-x")) is None
    assert "extractive" in caplog.text and "nosuchprovider" in caplog.text
