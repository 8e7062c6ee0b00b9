"""/trial as an embed card: a trial's registry record and the stories naming it. Pure."""

from __future__ import annotations

from bot.answer_cards import TITLE_CHARS, date_text
from bot.discord_text import escape, link, shorten
from bot.embeds import Card
from newsbot.models import NOT_ADVICE
from newsbot.trial_ids import CTGOV
from newsbot.trials import TrialView

STORIES_SHOWN = 8


def trial_card(view: TrialView) -> Card:
    fields: list[tuple[str, str]] = []
    cached = view.cached
    if cached is not None and not cached.found:
        description = f"Not in the registry (checked {cached.checked_at:%Y-%m-%d})."
    elif cached is not None and cached.record is not None:
        r = cached.record
        description = escape(r.title)
        status = f"{escape(r.status_text)} ({escape(r.status_date or 'undated')})"
        if r.why_stopped:
            status += f"; why stopped: {escape(r.why_stopped)}"
        if r.has_results:
            status += "; results posted"
        fields += [("Status", status), ("Phase", escape(r.phase_text)),
                   ("Conditions", escape(", ".join(r.conditions)) or "—"),
                   ("Interventions", escape(", ".join(r.interventions)) or "—")]
        if r.enrollment is not None:
            fields.append(("Enrolment", f"{r.enrollment} ({escape(r.enrollment_type or '')})"))
        countries = ", ".join(f"{c} ({n})" for c, n in r.countries)
        fields.append(("Countries", escape(countries) or "—"))
        fetched = f"{cached.fetched_at:%Y-%m-%d}" if cached.fetched_at else "never"
        fields.append(("Last update", f"{escape(r.last_update or '—')}; fetched {fetched}"))
    elif view.id.registry == CTGOV:
        description = "The registry record has not been fetched yet."
    else:
        description = "Only ClinicalTrials.gov records are fetched; this id links to its registry."
    lines = [f"• {link(shorten(escape(a.title) or 'Untitled', TITLE_CHARS), a.url)} — "
             f"{escape(a.source)}, {date_text(a.published or a.ingested_at)}"
             for a in view.stories[:STORIES_SHOWN]]
    if len(view.stories) > STORIES_SHOWN:
        lines.append(f"… and {len(view.stories) - STORIES_SHOWN} more")
    fields.append((f"Stories naming it ({len(view.stories)})", "\n".join(lines) or "none stored"))
    return Card(title=escape(view.name), url=view.id.url, description=description,
                fields=fields, footer=NOT_ADVICE)
