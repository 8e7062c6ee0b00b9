"""The digest's optional PNG: the core's articles-per-disease counts as a bar chart."""

from __future__ import annotations

import io

from newsbot.chart import DiseaseChart


def chart_png(chart: DiseaseChart) -> bytes | None:
    """PNG bytes, or None when matplotlib is not installed. Blocking: run it in a thread."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        return None
    labels = [label for label, _ in chart.bars][::-1]
    values = [count for _, count in chart.bars][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(labels) + 1.2), dpi=100)
    try:
        ax.barh(labels, values, color="#5865F2")
        ax.set_xlabel("articles")
        ax.set_title(f"Articles per disease, last {chart.days} days")
        ax.xaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
