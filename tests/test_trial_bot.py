"""/trial through the real discord.py client against the fake Discord, with the registry
fake: the record and the stories naming it, autocomplete of the known ids and acronyms, and
an unknown trial answered privately in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest, sources_from_args
from newsbot.library import Library
from tests.conftest import SAMPLE_NOW
from tests.discord_fake import FakeDiscord
from tests.registry_server import RegistryServer
from tests.test_bot_support import all_text, fake, open_library, running
from tests.test_registry import NEWS, registry  # noqa: F401 (fixture)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake"]
EPHEMERAL = 64


@pytest.fixture
def trial_news(tmp_path: Path, registry: RegistryServer) -> Iterator[Library]:  # noqa: F811
    library = open_library(tmp_path, registry={"base_url": registry.api, "request_interval": 0})
    run_ingest(library, sources_from_args([str(NEWS)]), now=SAMPLE_NOW)  # refreshes the records
    yield library
    library.close()


async def test_trial_shows_the_record_and_the_stories(fake: FakeDiscord,
                                                      trial_news: Library) -> None:
    async with running(fake, trial_news):
        ix = await fake.send_interaction("trial", {"trial": "lumen-2"})
        answer = await ix.wait_answer(timeout=10)
        assert not answer["flags"] & EPHEMERAL
        (embed,) = answer["embeds"]
        assert embed["title"] == "LUMEN-2 (NCT06123456)"
        assert embed["url"] == "https://clinicaltrials.gov/study/NCT06123456"
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Status"].startswith("Recruiting (2026-09)")
        assert "Germany (2)" in fields["Countries"]
        stories = next(v for k, v in fields.items() if k.startswith("Stories naming it"))
        assert "](" in stories  # linked headlines


async def test_trial_autocomplete_offers_known_ids_and_acronyms(fake: FakeDiscord,
                                                                trial_news: Library) -> None:
    async with running(fake, trial_news):
        ix = await fake.send_autocomplete("trial", {"trial": "lum"}, focused="trial")
        choices = await ix.wait_choices()
        assert {"name": "LUMEN-2 (NCT06123456)", "value": "NCT06123456"} in choices
        ix = await fake.send_autocomplete("trial", {"trial": "NCT069"}, focused="trial")
        assert [c["value"] for c in await ix.wait_choices()] == ["NCT06901234"]


async def test_unknown_trial_is_one_private_line(fake: FakeDiscord,
                                                 trial_news: Library) -> None:
    async with running(fake, trial_news):
        ix = await fake.send_interaction("trial", {"trial": "NOT-A-TRIAL"})
        answer = await ix.wait_answer(timeout=10)
        assert answer["flags"] & EPHEMERAL
        text = all_text(answer)
        assert "No stored story names a trial “NOT-A-TRIAL”" in text and "\n" not in text
