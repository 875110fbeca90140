"""ONNX files of export graphs (`rnnzoo.export.portable`), converted by tf2onnx from TensorFlow's CPU graph.

tf2onnx 1.17 recognises the loop of an unmasked Keras 3 LSTM layer (both
directions of a Bidirectional one included) and writes one fused ONNX
`LSTM` op for it; a masked layer, and every GRU or SimpleRNN layer, stays a
generic `Loop`. So a token LSTM model is rebuilt without Keras masks
(`ExportGraph(keras_masks=False)`) and every `LSTM` op then gets each row's
length as `sequence_lens`, counted from the non-zero ids (right padding):
the op skips the padded steps exactly as the Keras mask did, its outputs are
zeros there, and its final states are those at each row's last real step.
Other models keep their masks, and their loops, and give the same numbers.
Dynamic-range int8 quantization is onnxruntime's `quantize_dynamic`.
"""

from __future__ import annotations

from pathlib import Path

from rnnzoo.builders.common import ExportGraph
from rnnzoo.config import Config
from rnnzoo.errors import RnnzooError

OPSET = 17
LENGTHS = "sequence_lengths"  # the tensor added to a graph whose LSTM ops read each row's length
RECURRENT_OPS = ("LSTM", "GRU", "RNN")


def export_graph(cfg: Config, length: int | None) -> ExportGraph:
    """Any length; token LSTM models without Keras masks (their layers become fused ops with `sequence_lens`)."""
    fused = cfg.model.cell == "lstm" and cfg.model.input_type == "tokens"
    return ExportGraph(length=None, unroll=False, keras_masks=not fused)


def write(graph, path: Path, *, quantize: str | None = None) -> dict:
    """Converts `graph.model` to an ONNX file at `path`; returns its inputs, outputs and op types."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    model = graph.model
    specs = [tf.TensorSpec((None, *tensor.shape[1:]), tf.as_dtype(tensor.dtype), name=tensor.name)
             for tensor in model.inputs]
    function = tf.function(lambda *inputs: model(list(inputs) if len(inputs) > 1 else inputs[0], training=False))
    proto, _ = tf2onnx.convert.from_function(function, input_signature=specs, opset=OPSET)
    names = sorted(model.output)  # tf.nest flattens a dict of outputs in key order
    for output, name in zip(list(proto.graph.output), names):
        _rename(proto.graph, output.name, name)
    if graph.lengths_from is not None:
        _give_lengths(proto, graph.lengths_from)
    ops = sorted({node.op_type for node in proto.graph.node})
    if any("cudnn" in op.lower() for op in ops):  # never expected: every rebuilt layer runs the CPU loop
        raise RnnzooError(f"The ONNX graph of {model.name!r} holds a cuDNN op: {ops}")
    onnx.checker.check_model(proto)
    if quantize is None:
        path.write_bytes(proto.SerializeToString())
    else:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        float_path = path.with_name(path.stem + ".float32.onnx")
        float_path.write_bytes(proto.SerializeToString())
        quantize_dynamic(float_path, path, weight_type=QuantType.QInt8)
        float_path.unlink()
        ops = sorted({node.op_type for node in onnx.load(path).graph.node})
    return {"inputs": {tensor.name: list(tensor.shape) for tensor in model.inputs}, "outputs": names, "ops": ops}


def _rename(graph, old: str, new: str) -> None:
    """Renames tensor `old` everywhere in `graph` (a graph output's name is what a client asks for)."""
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for output in graph.output:
        if output.name == old:
            output.name = new


def _give_lengths(proto, ids: str) -> None:
    """Adds each row's number of non-zero `ids` and makes it the `sequence_lens` of every recurrent op."""
    from onnx import TensorProto, helper

    graph = proto.graph
    recurrent = [node for node in graph.node if node.op_type in RECURRENT_OPS]
    if not recurrent:
        loops = sorted({node.op_type for node in graph.node if node.op_type in ("Loop", "Scan")})
        raise RnnzooError(f"tf2onnx left the recurrent layers as {loops}, not fused ops: the lengths cannot be given")
    zero, axis = f"{LENGTHS}_zero", f"{LENGTHS}_axis"
    graph.initializer.extend([helper.make_tensor(zero, TensorProto.INT32, [], [0]),
                              helper.make_tensor(axis, TensorProto.INT64, [1], [1])])
    counting = [
        helper.make_node("Equal", [ids, zero], [f"{LENGTHS}_padding"]),
        helper.make_node("Not", [f"{LENGTHS}_padding"], [f"{LENGTHS}_real"]),
        helper.make_node("Cast", [f"{LENGTHS}_real"], [f"{LENGTHS}_ones"], to=TensorProto.INT32),
        helper.make_node("ReduceSum", [f"{LENGTHS}_ones", axis], [LENGTHS], keepdims=0),
    ]
    for node in recurrent:  # inputs: X, W, R, B, sequence_lens, initial_h, ...
        while len(node.input) < 5:
            node.input.append("")
        node.input[4] = LENGTHS
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(counting + nodes)  # they read a graph input only: first keeps the order topological
