"""The digest chart's data: on-topic articles per disease over the last days.

The core only counts; the bot draws the picture (`bot/chart.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from newsbot.library import Library
from newsbot.topics import display_disease


@dataclass(frozen=True)
class DiseaseChart:
    """Bars of articles per disease, the most covered first."""
    days: int
    bars: tuple[tuple[str, int], ...]  # (disease as shown, article count)


def articles_per_disease(library: Library, now: datetime, days: int = 7) -> dict[str, int]:
    counts: dict[str, int] = {}
    for article in library.store.articles.list(since=now - timedelta(days=days)):
        for disease in article.diseases:
            if disease != "autoimmune_general":
                counts[disease] = counts.get(disease, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8])


def disease_chart(library: Library, now: datetime, days: int = 7) -> DiseaseChart | None:
    """The chart of the last `days` days, or None when there is nothing to draw."""
    counts = articles_per_disease(library, now, days)
    if not counts:
        return None
    return DiseaseChart(days, tuple((display_disease(k), n) for k, n in counts.items()))
