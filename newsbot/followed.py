"""What the store keeps for watchlists: the topics people follow, the alerts already sent,
and each guild's delivery settings (moderators choose)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from newsbot.watch import WatchQuery

# the CLI's user, "local", in guild 0 (Discord ids are never 0)
LOCAL_GUILD = 0
LOCAL_USER = 0


@dataclass(frozen=True)
class FollowedTopic:
    id: int
    guild_id: int
    user_id: int
    query: WatchQuery
    immediate: bool  # alert even for stories already in that day's digest
    created_at: datetime

    @property
    def topic(self) -> str:
        return self.query.topic


@dataclass(frozen=True)
class AlertSettings:
    guild_id: int
    enabled: bool = True              # the guild-level off switch
    channel_id: int | None = None     # where mentions go (DM refused, or DMs not wanted)
    prefer_dm: bool = True            # DM first; False: always the channel


@dataclass(frozen=True)
class SentAlert:
    guild_id: int
    user_id: int
    story_id: str
    watch_id: int
    sent_at: datetime
    via: str  # "dm", "channel", "cli"
