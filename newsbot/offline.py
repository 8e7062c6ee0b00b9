"""The environment the model libraries and Chroma read: nothing is downloaded at run time
(the model ships in a package), nothing phones home, no progress bars.

The one place these variables are set: the embedder sets them before it imports
sentence-transformers or exports the model, and tests and benchmarks from here too.
"""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    "ANONYMIZED_TELEMETRY": "False",
}


def offline_env() -> None:
    """Set each variable unless the environment already chose a value."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
