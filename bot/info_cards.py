"""/latest, /sources and /status as embed cards. Pure: core objects in, cards out.

Every string that came from a feed or a user is passed through `escape()`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answer_cards import TITLE_CHARS, date_text
from bot.discord_text import escape, link, shorten
from bot.embeds import Card
from newsbot.feeds import FeedState, feed_line
from newsbot.guilds import Subscription
from newsbot.models import NOT_ADVICE
from newsbot.status import Status


def latest_card(articles: Sequence, title: str) -> Card:
    lines = []
    for article in articles:
        headline = shorten(escape(article.title) or "Untitled", TITLE_CHARS)
        when = date_text(article.published or article.ingested_at)
        lines.append(f"• {link(headline, article.url)} — {escape(article.source)}, {when}")
    description = "\n".join(lines) or "No stored stories match yet."
    return Card(title=title, description=description, footer=NOT_ADVICE)




def sources_card(feeds: Sequence[FeedState]) -> Card:
    lines = [f"• {escape(feed_line(feed))}" for feed in feeds]
    failing = sum(1 for f in feeds if f.consecutive_errors)
    summary = f"{len(feeds)} feed(s) followed; {failing} failing."
    return Card(title="Feeds followed", description="\n".join([summary, "", *lines]))


def subscription_line(sub: Subscription) -> str:
    where = f"<#{sub.channel_id}> at {sub.post_time:%H:%M} {sub.timezone}"
    if not sub.enabled:
        return f"{where} — disabled: {escape(sub.last_error or 'by a moderator')}"
    if sub.last_error:
        return f"{where} — failing ({sub.failures}x): {escape(sub.last_error)}"
    last = f"last posted {sub.last_post_at:%Y-%m-%d %H:%M} UTC" if sub.last_post_at else "not yet"
    return f"{where} — ok, {last}"


def status_card(s: Status, subscriptions: Sequence[Subscription], ingest_running: bool) -> Card:
    when = f"{s.last_ingest:%Y-%m-%d %H:%M} UTC" if s.last_ingest else "never"
    last = f"{when} ({escape(s.last_result)})" if s.last_result else when
    if ingest_running:
        last += "\nAn ingestion run is in progress."
    stored = (f"{s.articles} articles in {s.stories} stories ({s.chunks} chunks); "
              f"{s.skipped} skipped as off-topic, {s.duplicates} duplicate(s) collapsed.")
    fields = [
        ("Stored", stored),
        ("Last ingest", last),
        ("Mode", escape(s.mode)),
        ("Store", f"{escape(s.store)}; feeds failing: {s.failing_feeds}"),
    ]
    failing = [x for x in subscriptions if x.last_error or not x.enabled]
    healthy = [x for x in subscriptions if x not in failing]
    if healthy:
        fields.append(("Digest subscriptions", "\n".join(map(subscription_line, healthy))))
    if failing:
        fields.append(("Failing digests", "\n".join(map(subscription_line, failing))))
    return Card(title=f"newsbot {escape(s.version)}", fields=fields)
