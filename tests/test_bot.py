"""The bot end to end: the real discord.py client against tests/discord_fake.py."""

from __future__ import annotations

import pytest

from newsbot.library import Library
from tests.discord_fake import BOB, FakeDiscord
from tests.test_bot_support import all_text, fake, running, sample_library, sample_template

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "sample_library", "sample_template"]


async def test_ask_round_trip(fake: FakeDiscord, sample_library: Library) -> None:
    async with running(fake, sample_library):
        ix = await fake.send_interaction("ask", {"question": "What did the LUMEN-2 trial show?"},
                                         user=BOB)
        answer = await ix.wait_answer(timeout=10)
    assert ix.response == {"type": 5}
    print(all_text(answer))
    assert fake.payload_of(answer)["allowed_mentions"] == {"parse": []}
