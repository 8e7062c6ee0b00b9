"""An answer as embed cards: the bot's one renderer of the four sections and of a source.

Pure: core objects in, cards out. The digest's cards (`bot/digest_cards.py`) and the
"Sources" button reuse `sections_text` and `source_line`.

Every string that came from a feed, a model or a user is passed through `escape()`; the
bot's own labels are written here and are safe as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.discord_text import escape, link, shorten
from bot.embeds import FIELD_VALUE_LIMIT, Card
from newsbot.models import NOT_ADVICE, SECTION_KEYS, SECTION_TITLES, Answer, Source, Statement

TITLE_CHARS = 200  # longest feed title shown in a link, so a source line fits a field
PREVIEW_CHARS = 1500  # an answer's one embed; the rest is behind "Show more"


def cite(citations: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in citations)


def date_text(when: datetime | None) -> str:
    return f"{when:%d %b %Y}" if when else "undated"


def source_line(source: Source) -> str:
    """`[n] [title](url) — outlet, date (also in …)`, short enough for one embed field."""
    title = shorten(escape(source.title) or "Untitled", TITLE_CHARS)
    also = f" (also in {escape(', '.join(source.also_in))})" if source.also_in else ""
    when = "registry record" if source.registry else date_text(source.published)
    tail = f" — {escape(source.source)}, {when}{also}"
    line = f"[{source.n}] {link(title, source.url)}{tail}{trial_links(source)}"
    if len(line) > FIELD_VALUE_LIMIT - 24:  # an absurdly long URL: show the title unlinked
        line = shorten(f"[{source.n}] {title}{tail}", FIELD_VALUE_LIMIT - 24)
    return line


def trial_links(source: Source) -> str:
    """` · trials: [LUMEN-2 (NCT06123456)](url)` for the trials an article names."""
    if not source.registry_ids:
        return ""
    return " · trials: " + ", ".join(link(escape(r.label), r.url) for r in source.registry_ids)


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

