"""Plain-text rendering of answers, article lists and reports for the terminal."""

from __future__ import annotations

from newsbot.models import NOT_ADVICE, SECTION_KEYS, SECTION_TITLES, Answer, Source


def cite(citations: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in citations)


def source_line(source: Source) -> str:
    date = f", {source.published:%d %b %Y}" if source.published else ""
    also = f" (also in {', '.join(source.also_in)})" if source.also_in else ""
    link = f" — {source.url}" if source.url else ""
    return f"[{source.n}] {source.title} — {source.source}{date}{also}{link}"


def answer_text(answer: Answer) -> str:
    lines: list[str] = []
    if answer.advice_pointer:
        lines += [answer.advice_pointer, ""]
    lines += list(answer.notices)
    if answer.notices:
        lines.append("")
    if not answer.found:
        if answer.related:
            lines.append("Closest related coverage:")
            lines += [source_line(s) for s in answer.related]
        if answer.suggestions:
            lines.append("The news I follow covers, for example: " + "; ".join(answer.suggestions))
        lines.append(NOT_ADVICE)
        return "\n".join(lines).strip()
    for key in SECTION_KEYS:  # a section with nothing that belongs in it is left out
        statements = answer.sections[key]
        if statements:
            lines.append(f"## {SECTION_TITLES[key]}")
            lines += [f"- {s.text} {cite(s.citations)}" for s in statements]
            lines.append("")
    lines.append("Sources")
    lines += [source_line(s) for s in answer.sources]
    mode = "LLM summary" if answer.mode == "llm" else "extractive summary"
    lines += ["", f"{NOT_ADVICE} ({mode})"]
    return "\n".join(lines)
