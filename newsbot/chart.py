"""A small PNG for the digest: on-topic articles per disease over the last 7 days."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from newsbot.library import Library
from newsbot.topics import display_disease


def articles_per_disease(library: Library, now: datetime, days: int = 7) -> dict[str, int]:
    counts: dict[str, int] = {}
    for article in library.store.articles.list(since=now - timedelta(days=days)):
        for disease in article.diseases:
            if disease != "autoimmune_general":
                counts[disease] = counts.get(disease, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8])


def disease_chart_png(library: Library, now: datetime, days: int = 7) -> bytes | None:
    """PNG bytes, or None when there is nothing to draw or matplotlib is not installed."""
    counts = articles_per_disease(library, now, days)
    if not counts:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        return None
    labels = [display_disease(k) for k in counts][::-1]
    values = list(counts.values())[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(labels) + 1.2), dpi=100)
    try:
        ax.barh(labels, values, color="#5865F2")
        ax.set_xlabel("articles")
        ax.set_title(f"Articles per disease, last {days} days")
        ax.xaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
