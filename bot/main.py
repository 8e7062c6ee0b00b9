"""Composition root: open the long-lived resources once, build the bot with them, run it.

`newsbot bot` calls `run_bot(settings)`. Nothing heavy happens at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

import aiohttp
import discord

from bot.client import NewsBot
from newsbot.library import Library
from newsbot.settings import Settings

__all__ = ["NewsBot", "main", "run_bot"]
log = logging.getLogger(__name__)
NO_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
    "(see docs/discord.md), put DISCORD_TOKEN=... in .env, and run again. To try newsbot "
    "without Discord: `newsbot console`."
)


def _chat_model(settings: Settings) -> Any | None:
    """The configured chat model; None (the bot answers extractively) when it cannot be
    built, e.g. an OpenAI model with no API key: a bad LLM setting never stops the bot."""
    if not settings.llm.model:
        return None
    from newsbot.errors import LLMUnavailable
    from newsbot.llm import make_chat_model

    try:
        return make_chat_model(settings)
    except LLMUnavailable as exc:
        log.warning("%s — answering with extractive summaries instead", exc)
        return None


async def main(settings: Settings) -> int:
    if settings.discord.token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    task = asyncio.current_task()
    if task is not None:  # `docker stop`/systemd: shut down cleanly, releasing the store
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    # a Chroma server that is down at start is retried on use (docs/deploy.md)
    library = await asyncio.to_thread(Library.open, settings, tolerate_store_down=True)
    warm = getattr(library.embedder, "warm", None)
    if warm is not None:  # load the model now, not on the first /ask
        await asyncio.to_thread(warm)
    bot: NewsBot | None = None
    try:
        chat_model = await asyncio.to_thread(_chat_model, settings)
        log.info("answer mode: %s; store: %s", settings.describe_llm(), library.store.description)
        bot = NewsBot(library, settings, chat_model=chat_model)
        async with bot:
            await bot.start(settings.discord.token.get_secret_value())
    finally:
        if bot is not None:  # let a running ingestion finish its writes (up to a minute)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(60):
                    await bot.ingest.idle()
        await asyncio.to_thread(library.close)
    return 0


def unreachable_reason(exc: BaseException) -> str:
    """A few words on why Discord could not be reached, e.g. "discord.com: Name or service
    not known" (aiohttp's own text repeats the host, port and SSL mode)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        error = exc.os_error
        return f"{exc.host}: {error.strerror or error}"
    return str(exc) or type(exc).__name__


def run_bot(settings: Settings) -> int:
    """Run until interrupted; a rejected token or missing intent ends with advice, not a trace."""
    try:
        return asyncio.run(main(settings))
    except discord.LoginFailure:
        log.error("Discord rejected the token: check DISCORD_TOKEN (Bot page → Reset Token).")
    except discord.PrivilegedIntentsRequired:
        log.error("Enable MESSAGE CONTENT INTENT on the Bot page of the developer portal "
                  "(see docs/discord.md), then start again.")
    except (aiohttp.ClientConnectionError, TimeoutError, OSError) as exc:  # DNS, refused, …
        log.error("Cannot reach Discord (%s): check the network connection, DNS and any proxy "
                  "or firewall, then start again. `newsbot console` works offline.",
                  unreachable_reason(exc))
    except KeyboardInterrupt:
        return 130
    except asyncio.CancelledError:  # SIGTERM
        log.info("stopped")
        return 0
    return 2
