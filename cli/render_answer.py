"""An answer as terminal text: the four sections with their citations, then the sources.

`source_line` and `sections_lines` are the terminal's one way of showing a source and the
four sections; the digest (`cli/render_digest.py`) uses them too.
"""

from __future__ import annotations

from newsbot.models import NOT_ADVICE, SECTION_KEYS, SECTION_TITLES, Answer, Source, Statement


def cite(citations: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in citations)


def source_line(source: Source) -> str:
    date = f", {source.published:%d %b %Y}" if source.published else ""
    also = f" (also in {', '.join(source.also_in)})" if source.also_in else ""
    link = f" — {source.url}" if source.url else ""
    line = f"[{source.n}] {source.title} — {source.source}{date}{also}{link}"
    if source.registry_ids:
        line += "\n    trials: " + "; ".join(f"{r.label} {r.url}" for r in source.registry_ids)
    return line


def sections_lines(sections: dict[str, list[Statement]], *, title: str,
                   gap: bool) -> list[str]:
    """The four sections, each under `title` (a format with the section's name), one cited
    statement a line; `gap` puts an empty line after each section."""
    lines: list[str] = []
    for key in SECTION_KEYS:  # a section with nothing that belongs in it is left out
        statements = sections.get(key) or []
        if statements:
            lines.append(title.format(SECTION_TITLES[key]))
            lines += [f"- {s.text} {cite(s.citations)}" for s in statements]
            if gap:
                lines.append("")
    return lines


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
    lines += sections_lines(answer.sections, title="## {}", gap=True)
    lines.append("Sources")
    lines += [source_line(s) for s in answer.sources]
    mode = "LLM summary" if answer.mode == "llm" else "extractive summary"
    lines += ["", f"{NOT_ADVICE} ({mode})"]
    return "\n".join(lines)
