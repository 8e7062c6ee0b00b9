"""Test doubles for the product's boundaries (the LLM one lives in tests/openai_server.py)."""

from __future__ import annotations

import hashlib

import numpy as np

from newsbot.embedding import DIMENSIONS
from newsbot.sentences import words


class HashingEmbedder:
    """Deterministic bag-of-words vectors for fast unit tests: similar words, similar vectors."""

    name = "hashing"

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self.dimensions = dimensions
        self.calls = 0
        self.texts_encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in words(text):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dimensions
                out[row, index] += 1.0 if digest[4] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out
