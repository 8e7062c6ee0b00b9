"""Watchlist cards: an alert (a story matching a followed topic) and the /following list."""

from __future__ import annotations

import discord

from bot.discord_text import escape, link, safe_url, shorten
from bot.embeds import DESCRIPTION_LIMIT, Card, build
from newsbot.alerts import Alert, Watch

ALERT_COLOR = 0xC97B2A
LINKS_SHOWN = 6
TITLE_CHARS = 200
CHOICE_CHARS = 100  # Discord: an autocomplete choice's name


def alert_embeds(alert: Alert) -> list[discord.Embed]:
    item = alert.item
    lines = [f"Matches your topic **{escape(alert.watch.topic)}**"
             f" ({escape(alert.watch.query.describe())})."]
    if item.outlets:
        lines.append(f"*Reported by {escape(', '.join(item.outlets))}*")
    lines += [f"• {link(shorten(escape(x.title), TITLE_CHARS), safe_url(x.url))} — "
              f"{escape(x.source)}" for x in item.links[:LINKS_SHOWN]]
    if len(item.links) > LINKS_SHOWN:
        lines.append(f"…and {len(item.links) - LINKS_SHOWN} more reports")
    card = Card(title=f"🔔 {shorten(escape(item.title) or 'New story', TITLE_CHARS)}",
                url=safe_url(item.url), color=ALERT_COLOR,
                description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
                footer="You follow this topic · /following lists yours · /unfollow stops it")
    return build(card)[:1]


def watch_line(watch: Watch) -> str:
    flag = " · immediate" if watch.immediate else ""
    return (f"**#{watch.id} {escape(watch.topic)}**{flag}\n"
            f"will match: {escape(watch.query.describe())}")


def following_text(watches: list[Watch]) -> str:
    if not watches:
        return "You follow no topics here yet. Try `/follow topic: CAR-T in lupus`."
    return "\n\n".join(watch_line(w) for w in watches)


def choice_name(watch: Watch) -> str:
    return shorten(f"#{watch.id} {watch.topic}", CHOICE_CHARS)
