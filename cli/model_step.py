"""The one-time export of the embedding model, shown as its own labelled step.

Left to happen lazily, the export runs inside the first embedding call: a progress bar sits
at "0% -:--:--" for its duration, or a question seems to hang. Done here first, the user
reads what is happening and why it happens only once.
"""

from __future__ import annotations

import sys
import time

from newsbot.library import Library


def prepare_embedder(library: Library) -> None:
    """Export (and load) the model now, labelled, when its first use would export it."""
    embedder = library.embedder
    needs_export = getattr(embedder, "needs_export", None)
    if needs_export is None or not needs_export():
        return
    cache = library.settings.model_cache
    int8 = library.settings.embedding.backend == "onnx-int8"
    label = (f"One-time setup: exporting the embedding model to ONNX"
             f"{' and quantising it to int8' if int8 else ''} in {cache} "
             f"(about {'20-60' if int8 else '15-40'} s; later runs reuse it)")
    started = time.monotonic()
    if sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status(label + " …"):
            embedder.warm()  # type: ignore[attr-defined]
    else:
        print(label + " …", file=sys.stderr, flush=True)
        embedder.warm()  # type: ignore[attr-defined]
    print(f"Embedding model ready ({time.monotonic() - started:.0f} s).", file=sys.stderr,
          flush=True)
