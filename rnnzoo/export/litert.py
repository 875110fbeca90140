"""LiteRT (`.tflite`) files of export graphs (`rnnzoo.export.portable`), built-in ops only.

TensorFlow's converter turns a recurrent layer's while loop into `Flex`
(TensorFlow) ops and a `WHILE` loop, which a plain LiteRT interpreter
(`ai-edge-litert`) cannot run. Rebuilt with `unroll=True` at a fixed length
(`ExportGraph(length=N, unroll=True)`), each step is a chain of built-in ops
and the mask a `SELECT_V2` per step, so a padded input gives Keras' numbers.
The converter is restricted to the built-in op set, and the op list of the
written file is checked for `Flex` ops. Dynamic-range int8 quantization is
the converter's `Optimize.DEFAULT` (int8 weights, float activations).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from rnnzoo.builders.common import ExportGraph
from rnnzoo.config import Config
from rnnzoo.errors import RnnzooError


def export_graph(cfg: Config, length: int) -> ExportGraph:
    """`length` steps, every recurrent layer unrolled, Keras masks kept."""
    return ExportGraph(length=length, unroll=True, keras_masks=True)


def operators(content: bytes) -> list[str]:
    """The op names of a `.tflite` file's graph, as the LiteRT interpreter lists them."""
    from ai_edge_litert.interpreter import Interpreter

    return sorted({op["op_name"] for op in Interpreter(model_content=content)._get_ops_details()})


def write(graph, path: Path, *, quantize: str | None = None) -> dict:
    """Converts `graph.model` to a `.tflite` file at `path`; returns its inputs, outputs and op names."""
    import tensorflow as tf

    model = graph.model
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Keras prints the endpoints of the SavedModel it writes first
            content = converter.convert()
    except Exception as error:  # the converter's errors are long MLIR dumps: the first line says what failed
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RnnzooError(f"LiteRT cannot convert {model.name!r} to built-in ops only: {first[:300]}") from None
    ops = operators(content)
    flex = [op for op in ops if op.startswith("Flex") or op in ("CUSTOM", "WHILE")]
    if flex:
        raise RnnzooError(f"The LiteRT graph of {model.name!r} holds ops a plain interpreter cannot run: {flex}")
    path.write_bytes(content)
    return {"inputs": {tensor.name: list(tensor.shape) for tensor in model.inputs}, "outputs": sorted(model.output), "ops": ops}
