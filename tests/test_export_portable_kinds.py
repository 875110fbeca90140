"""ONNX and LiteRT exports of every task kind, run in onnxruntime and the LiteRT interpreter (`-m slow`).

Forward models (classifier, tagger, tracker, adding) give Keras' outputs at every real step within 1e-4;
around the step models (character LM, seq2seq, captioning) the client loops of examples/portable_client.py
give exactly the greedy outputs of Run.generate and Run.decode. Token LSTM models become fused ONNX ops;
every .tflite file holds built-in ops only.
"""

import json

import numpy as np
import pytest

import rnnzoo
from imdb_fixtures import write_acl_imdb
from test_export_char_lm import TEXT
from test_export_portable import client, padded_ids
from test_export_seq2seq import scatter_weights
from test_tagging import TRAIN, write_split

pytestmark = pytest.mark.slow

# name: (what it reads, overrides, LiteRT length)
RUNS = {
    "sentiment_lstm": ("imdb", dict(units=32, embedding_dim=32, batch_size=8, max_length=12, vocab_size=100), 12),
    "chunker_bigru_crf": ("conll", dict(units=8, embedding_dim=8, char_embedding_dim=4, char_units=6, tag_feature_dim=4,
                                        num_layers=1, batch_size=4, validation_fraction=0.0, target="chunk"), 16),
    "tracker_lstm": (None, dict(units=8, num_examples=60, seq_length=12, batch_size=16, num_layers=1), 12),
    "adding_lstm": (None, dict(num_examples=40, seq_length=6, units=4, batch_size=16), 6),
    "char_lstm": ("corpus", dict(units=16, embedding_dim=8, seq_length=16, batch_size=16), 8),
    "addition_lstm": (None, dict(units=8, embedding_dim=4, batch_size=32, num_examples=300, attention="dot",
                                 reverse_source=True), 8),
    "caption_lstm": (None, dict(units=8, embedding_dim=4, condition_dim=8, image_size=16, num_examples=60,
                                batch_size=32), 4),
}
FUSED = {"sentiment_lstm", "char_lstm", "addition_lstm", "caption_lstm"}  # LSTMs over tokens: no Keras mask
PROMPTS = ["First", "", "All:\nSpe", "unknown ✓ é", "Speak, speak. " * 3]


def data_dir(kind: str, folder):
    if kind == "imdb":
        return write_acl_imdb(folder)
    if kind == "conll":
        write_split(folder, "train.txt", [TRAIN + "\n"] * 6)
        write_split(folder, "test.txt", [TRAIN])
        return folder
    if kind == "corpus":
        (folder / "corpus.txt").write_text(TEXT, encoding="utf-8")
        return folder / "corpus.txt"
    return None


@pytest.fixture(scope="module", params=sorted(RUNS))
def exported(request, tmp_path_factory):
    name = request.param
    reads, overrides, length = RUNS[name]
    folder = tmp_path_factory.mktemp(name)
    run = rnnzoo.train(name, data_dir=data_dir(reads, folder), out_dir=folder / "run", epochs=1, verbose=0,
                       **overrides)
    if name in ("addition_lstm", "caption_lstm", "char_lstm"):
        scatter_weights(run.model, scale=0.5)  # varied greedy outputs from a one-epoch model
    exports = {"onnx": client().Export(run.export(folder / "onnx", format="onnx")),
               "litert": client().Export(run.export(folder / "litert", format="litert", length=length))}
    return run, exports


def test_no_cudnn_onnx_op_no_flex_litert_op_and_fused_lstms_where_promised(exported):
    run, exports = exported
    for format, export in exports.items():
        for file, described in export.facts["files"].items():
            ops = described["ops"]
            if format == "litert":
                assert not [op for op in ops if op.startswith("Flex") or op in ("WHILE", "CUSTOM")], (file, ops)
                continue
            assert not [op for op in ops if "cudnn" in op.lower()], (file, ops)
            recurrent = {"LSTM", "Loop"} & set(ops)
            if run.config.name in FUSED:
                assert "Loop" not in ops, (file, ops)
            if recurrent and run.config.name not in FUSED:
                assert recurrent == {"Loop"}, (file, ops)
    names = set(exports["onnx"].graphs)
    assert names == {"model"} or names == {"step"} or names == {"encoder", "decoder_step"}


def _real_steps_close(got, want, lengths):
    for row, length in enumerate(lengths):
        np.testing.assert_allclose(got[row, :length], want[row, :length], atol=1e-4, rtol=0)


def test_forward_models_give_keras_outputs(exported):
    run, exports = exported
    kind = run.config.task
    if kind not in ("text_classification", "tagging", "tracking", "adding"):
        pytest.skip("a step model: see the decoding test")
    for format, export in exports.items():
        width = export.length or 10
        if kind == "text_classification":
            ids = padded_ids(run, width=width)
            got = export.graphs["model"]({"inputs": ids})["scores"]
            np.testing.assert_allclose(got, np.asarray(run.model.predict(ids, verbose=0)), atol=1e-4, rtol=0)
        elif kind == "tagging":
            sentences = [line.split() for line in TRAIN.strip().split("\n") if line.strip()]
            words, pos = [w for w, _, _ in sentences], [p for _, p, _ in sentences]
            rows = [run.task.encode(words[a:b], pos[a:b]) for a, b in ((0, 5), (5, 6), (3, 3 + width))]
            batch = {key: _pad([row[key] for row in rows], width) for key in rows[0]}
            got = export.graphs["model"](batch)["emissions"]
            _real_steps_close(got, np.asarray(run.model.predict(batch, verbose=0)), [len(r["inputs"]) for r in rows])
        else:
            inputs = _numeric_inputs(run, width)
            name = "scaled_offsets" if kind == "tracking" else "sum"
            got = export.graphs["model"]({"inputs": inputs})[name]
            np.testing.assert_allclose(got, np.asarray(run.model.predict(inputs, verbose=0)), atol=1e-4, rtol=0)


def _numeric_inputs(run, width):
    if run.config.task == "adding":
        return np.asarray(run.task.examples("test")[0][:8, :width], dtype=np.float32)
    from rnnzoo.tasks.tracking import features

    observations = run.task._split("test")[0][:8, :width]
    return features(observations, run.task.scale)


def _pad(arrays, width):
    shape = (len(arrays), width, *(max(a.shape[axis] for a in arrays) for axis in range(1, arrays[0].ndim)))
    batch = np.zeros(shape, dtype=np.int32)
    for row, array in enumerate(arrays):
        batch[(row, *(slice(0, n) for n in array.shape))] = array
    return batch


def test_client_greedy_loops_give_run_outputs(exported):
    run, exports = exported
    kind = run.config.task
    runtime = client()
    for format, export in exports.items():
        if kind == "language_model":
            for prompt in PROMPTS:
                expected = run.generate(prompt, length=20, temperature=0.0)
                expected = expected if isinstance(expected, str) else expected[0]
                assert runtime.generate(export, prompt, 20) == expected, (format, prompt)
        elif kind == "seq2seq":
            sources = run.task._examples("test", None, None)[0][:20]
            expected = [r["output"] for r in run.decode(sources, truncate=True)]
            assert len(set(expected)) > 1
            assert runtime.seq2seq_decode(export, sources) == expected, format
        elif kind == "captioning":
            images = run.task.examples("test")[0][:5]
            expected = [r["output"] for r in run.decode(images)]
            special = export.facts["special_ids"]
            encoded = export.graphs["encoder"]({"condition": images.astype(np.float32)})
            shapes = export.facts["files"][f"decoder_step{'.onnx' if format == 'onnx' else '.tflite'}"]["inputs"]
            states = {name: encoded.get(name, np.zeros((len(images), shape[-1]), np.float32))
                      for name, shape in shapes.items() if name.startswith("state")}
            found = runtime.greedy(export.graphs["decoder_step"], {"vector": encoded["vector"]}, states,
                                   start=special["start"], end=special["end"], banned=(special["pad"], special["start"]),
                                   max_length=export.facts["max_output_length"])
            words = export.state["vocabulary"]
            assert [" ".join(words[i] for i in row if i > special["end"]) for row in found] == expected, format
        else:
            pytest.skip("a forward model: see the forward test")


def test_int8_files_are_smaller_and_close(exported, tmp_path):
    run, exports = exported
    if run.config.task != "text_classification":
        pytest.skip("measured on the classifier")
    ids = padded_ids(run)
    want = np.asarray(run.model.predict(ids, verbose=0))
    for format, arguments in (("onnx", {}), ("litert", {"length": 12})):
        path = run.export(tmp_path / format, format=format, quantize="int8", **arguments)
        facts = json.loads((path / "preprocessing.json").read_text())
        file = next(iter(facts["files"]))
        assert facts["quantize"] == "int8"
        assert (path / file).stat().st_size < (exports[format].graphs["model"].path).stat().st_size
        got = client().Export(path).graphs["model"]({"inputs": ids})["scores"]
        assert np.abs(got - want).max() < 0.02, (format, np.abs(got - want).max())
