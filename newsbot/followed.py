"""What the store keeps for watchlists besides the watches (`newsbot.alerts.Watch`): the
alerts already sent and each guild's delivery settings (moderators choose)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AlertSettings:
    guild_id: int
    enabled: bool = True              # the guild-level off switch
    channel_id: int | None = None     # where mentions go (DM refused, or DMs not wanted)
    prefer_dm: bool = True            # DM first; False: always the channel
    in_thread: bool = False           # in the channel's "Watch alerts" thread, not the channel
    thread_id: int | None = None      # that thread, once opened


@dataclass(frozen=True)
class SentAlert:
    guild_id: int
    user_id: int
    item_key: str  # AlertItem.key: "story:…", or another kind's key
    watch_id: int
    sent_at: datetime
    via: str  # "dm", "channel", "cli"
