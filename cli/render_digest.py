"""A digest as terminal text (`newsbot digest`, the console's `digest`)."""

from __future__ import annotations

from cli.render_answer import sections_lines, source_line
from newsbot.digest import Digest
from newsbot.models import NOT_ADVICE
from newsbot.trials import TrialUpdate


def catching_up(d: Digest) -> str | None:
    """"catching up: N older stories …" after a backlog ingest, else None."""
    if not d.backlog:
        return None
    plural = "y" if d.backlog == 1 else "ies"
    return f"catching up: {d.backlog} older stor{plural} — /latest to browse"


def digest_header(d: Digest) -> str:
    if d.empty:
        return f"Nothing new since {d.since:%d %b %H:%M} UTC."
    parts = []
    if d.trial_updates and not d.article_count and not d.backlog:
        return (f"{len(d.trial_updates)} trial update{'s' if len(d.trial_updates) != 1 else ''}"
                f" since {d.since:%d %b %H:%M} UTC")
    if d.article_count:
        parts.append(f"{d.article_count} new article{'s' if d.article_count != 1 else ''} from "
                     f"{len(d.outlets)} outlet{'s' if len(d.outlets) != 1 else ''}, "
                     f"{d.since:%d %b %H:%M} – {d.until:%d %b %H:%M} UTC")
    else:
        parts.append(f"Nothing new published since {d.since:%d %b %H:%M} UTC")
    note = catching_up(d)
    if note:
        parts.append(note)
    return "; ".join(parts)


def update_line(update: TrialUpdate) -> str:
    """`- LUMEN-2 (NCT06123456): Recruiting → Active, not recruiting (2026-11) — url`"""
    date = f" ({update.status_date})" if update.status_date else ""
    return f"- {update.name}: {update.change}{date} — {update.url}"


def digest_text(d: Digest) -> str:
    lines = [f"# News digest — {digest_header(d)}", ""]
    for i, story in enumerate(d.top, 1):
        covered = f" (covered by {len(story.outlets)} outlets)" if len(story.outlets) > 1 else ""
        lines.append(f"## {i}. {story.headline}{covered}")
        lines += sections_lines(story.sections, title="**{}**", gap=False)
        lines += [source_line(s) for s in story.sources]
        lines.append("")
    if d.trial_updates:
        lines.append("## Trial updates")
        lines += [update_line(u) for u in d.trial_updates]
        lines.append("")
    if d.others:
        lines.append("## Also new")
        for s in d.others:
            links = "; ".join(f"{x.source} {x.url}" for x in s.sources)
            lines.append(f"- {s.headline} — {links}")
        lines.append("")
    if not d.empty:
        lines.append(NOT_ADVICE)
    return "\n".join(lines).strip()
