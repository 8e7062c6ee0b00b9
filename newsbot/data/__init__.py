"""Files that ship inside the package: the prompt templates (`prompts/*.md`), the feed list
the feed table is first seeded from (`feeds.toml`) and the demo's fictional sample feeds
(`sample_feeds/`). Found through importlib.resources, so an installed newsbot finds them
wherever it was installed, not only in a checkout of the repository."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_path(*parts: str) -> Path:
    """A bundled file or directory as a path on disk (pip installs wheels unpacked)."""
    return Path(str(files(__name__).joinpath(*parts)))
