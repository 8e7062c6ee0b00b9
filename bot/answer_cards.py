"""Answers, article lists, feeds and status as embed cards. Pure: core objects in, cards out.

Every string that came from a feed, a model or a user is passed through `escape()`; the
bot's own labels are written here and are safe as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.discord_text import escape, link, shorten
from bot.embeds import FIELD_VALUE_LIMIT, Card
from newsbot.feeds import FeedState
from newsbot.guilds import Subscription
from newsbot.models import NOT_ADVICE, SECTION_KEYS, SECTION_TITLES, Answer, Source, Statement
from newsbot.render import cite
from newsbot.status import Status, feed_line

TITLE_CHARS = 200  # longest feed title shown in a link, so a source line fits a field
PREVIEW_CHARS = 1500  # an answer's one embed; the rest is behind "Show more"


def date_text(when: datetime | None) -> str:
    return f"{when:%d %b %Y}" if when else "undated"


def source_line(source: Source) -> str:
    """`[n] [title](url) — outlet, date (also in …)`, short enough for one embed field."""
    title = shorten(escape(source.title) or "Untitled", TITLE_CHARS)
    also = f" (also in {escape(', '.join(source.also_in))})" if source.also_in else ""
    tail = f" — {escape(source.source)}, {date_text(source.published)}{also}"
    line = f"[{source.n}] {link(title, source.url)}{tail}"
    if len(line) > FIELD_VALUE_LIMIT - 24:  # an absurdly long URL: show the title unlinked
        line = shorten(f"[{source.n}] {title}{tail}", FIELD_VALUE_LIMIT - 24)
    return line


def sources_value(sources: Iterable[Source]) -> str:
    return "\n".join(source_line(s) for s in sources)


def sections_text(sections: dict, *, bullet: str = "•") -> str:
    """The four sections with bold titles and one cited statement per line."""
    lines: list[str] = []
    for key in SECTION_KEYS:  # a section with nothing that belongs in it is left out
        statements = sections.get(key) or []
        if not statements:
            continue
        lines.append(f"**{SECTION_TITLES[key]}**")
        for statement in statements:
            lines.append(f"{bullet} {escape(statement.text)} {cite(statement.citations)}".rstrip())
        lines.append("")
    return "\n".join(lines).strip()


def answer_cards(answer: Answer) -> list[Card]:
    """An /ask answer: the question as title, notices, four sections, Sources, footer."""
    lines: list[str] = []
    if answer.advice_pointer:
        lines += [f"⚠️ {escape(answer.advice_pointer)}", ""]
    lines += [f"*{escape(n)}*" for n in answer.notices]
    if answer.notices:
        lines.append("")
    mode = "LLM summary" if answer.mode == "llm" else "extractive summary"
    footer = f"{NOT_ADVICE[:-1]} · {mode}"
    card = Card(title=f"Q: {escape(answer.question)}", footer=footer)
    if not answer.found:
        if answer.related:
            lines.append("**Closest related coverage** (does not answer the question as asked)")
            lines += [source_line(s) for s in answer.related]
            lines.append("")
        if answer.suggestions:
            covered = "; ".join(escape(s) for s in answer.suggestions)
            lines.append(f"The news I follow covers, for example: {covered}.")
        lines.append("Try rephrasing, naming a disease or therapy, or see `/latest`.")
        card.description = "\n".join(lines).strip()
        card.footer = NOT_ADVICE
        return [card]
    lines.append(sections_text(answer.sections))
    card.description = "\n".join(lines).strip()
    card.fields = [("Sources", sources_value(answer.sources))]
    return [card]


def card_size(card: Card) -> int:
    """The characters Discord counts for a card's embed (title, description, fields, footer)."""
    fields = sum(len(name) + len(value) for name, value in card.fields)
    return len(card.title or "") + len(card.description) + fields + len(card.footer or "")


def _cited(statements: Iterable[Statement], sources: Sequence[Source]) -> list[Source]:
    numbers = {n for s in statements for n in s.citations}
    return [s for s in sources if s.n in numbers]


def answer_preview(answer: Answer, limit: int = PREVIEW_CHARS) -> tuple[Card, bool]:
    """The answer as one card of at most ~`limit` characters: the first statements of the
    four sections with the sources they cite; True when something was left for "Show more"."""
    (card,) = answer_cards(answer)
    if card_size(card) <= limit:
        return card, False
    if not answer.found:
        card.description = shorten(card.description, max(200, limit - card_size(card)
                                                          + len(card.description)))
        return card, True
    intro = card.description[: len(card.description)
                             - len(sections_text(answer.sections))].strip()
    ordered = [(key, s) for key in SECTION_KEYS for s in answer.sections.get(key) or []]
    total = len(ordered)
    shown = 0
    while shown < total:
        trial = _preview_card(answer, intro, ordered[: shown + 1], total)
        if shown and card_size(trial) > limit:
            break
        shown += 1
    preview = _preview_card(answer, intro, ordered[:shown], total)
    if card_size(preview) > limit:  # one very long statement: cut its text
        spare = limit - card_size(preview) + len(preview.description)
        preview.description = shorten(preview.description, max(200, spare))
    return preview, True


def _preview_card(answer: Answer, intro: str, shown: list[tuple[str, Statement]],
                  total: int) -> Card:
    sections: dict[str, list[Statement]] = {}
    for key, statement in shown:
        sections.setdefault(key, []).append(statement)
    cited = _cited((s for _, s in shown), answer.sources)
    left, hidden = total - len(shown), len(answer.sources) - len(cited)
    more = f"*{left} more statement(s)"
    more += f" and {hidden} more source(s)" if hidden else ""
    lines = [intro, sections_text(sections), f"{more}: press **Show more**.*"]
    (card,) = answer_cards(answer)
    card.description = "\n".join(x for x in lines if x).strip()
    card.fields = [("Sources", sources_value(cited))] if cited else []
    return card


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
