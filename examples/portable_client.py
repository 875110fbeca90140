"""
Title: Run an ONNX or LiteRT export of rnnzoo without TensorFlow
Description: tokenize with the JSON beside the model, run onnxruntime or the LiteRT interpreter, decode.

    rnnzoo export runs/imdb --format onnx --out exported/imdb-onnx
    python examples/portable_client.py exported/imdb-onnx "A moving film." "Two hours I will never get back."
    rnnzoo export runs/imdb --format litert --length 200 --out exported/imdb-litert
    python examples/portable_client.py exported/imdb-litert "A moving film."
    python examples/portable_client.py exported/shakespeare-onnx "ROMEO:" --length 100   # greedy characters
    python examples/portable_client.py exported/dates-onnx "3 march 1998"                # greedy decoding

Prints one line per input: `LABEL<TAB>P(LABEL)` for a text classifier, the
prompt's greedy continuation for a character language model, the greedy
output for a seq2seq model. Imports numpy and the runtime only: no
TensorFlow, no Keras, no rnnzoo. Lower-casing is Python's, which equals
TensorFlow's for ASCII text.
"""

import argparse
import json
import re
from pathlib import Path

import numpy as np

"""## The runtime: one call per graph, inputs and outputs by name"""


class Graph:
    """One `.onnx` or `.tflite` file: `graph({name: array}) -> {name: array}`."""

    def __init__(self, path: Path):
        self.path = path
        if path.suffix == ".onnx":
            import onnxruntime

            self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            self.runner = None
        else:
            from ai_edge_litert.interpreter import Interpreter

            self.runner = Interpreter(model_path=str(path)).get_signature_runner()

    def __call__(self, feeds: dict) -> dict:
        if self.runner is not None:
            return self.runner(**feeds)
        names = [output.name for output in self.session.get_outputs()]
        return dict(zip(names, self.session.run(names, feeds)))


class Export:
    """An export folder: `preprocessing.json` and its graphs by file stem."""

    def __init__(self, folder):
        folder = Path(folder)
        self.facts = json.loads((folder / "preprocessing.json").read_text(encoding="utf-8"))
        self.state = self.facts["preprocessing"]
        self.length = self.facts["length"]  # LiteRT: the fixed number of steps; ONNX: None (any)
        self.graphs = {Path(name).stem: Graph(folder / name) for name in self.facts["files"]}

    def pad(self, rows: list[list[int]], width: int | None = None) -> np.ndarray:
        """Right-padded int32 ids, `self.length` wide for LiteRT (rows must already fit)."""
        width = width or self.length or max(1, *(len(row) for row in rows))
        ids = np.zeros((len(rows), width), dtype=np.int32)
        for line, row in enumerate(rows):
            ids[line, : len(row)] = row
        return ids


"""## Text classification"""


def classify(export: Export, texts: list[str]) -> list[tuple[str, float]]:
    state, rules = export.state, export.facts["standardize"]
    index = {token: i for i, token in enumerate(state["vocabulary"])}
    keep = min(state["max_length"], export.length or state["max_length"])
    rows = []
    for text in texts:
        text = text.lower() if rules["lower"] else text
        for pattern in rules["to_space"]:
            text = re.sub(pattern, " ", text)
        ids = [index.get(word, 1) for word in text.split()]
        rows.append(ids[:keep] if state["truncate"] == "end" else ids[len(ids) - keep:])
    scores = export.graphs["model"]({"inputs": export.pad(rows)})["scores"]
    results = []
    for score in scores:
        probabilities = [1.0 - float(score[0]), float(score[0])] if len(score) == 1 else [float(p) for p in score]
        best = int(np.argmax(probabilities))
        results.append((state["labels"][best], probabilities[best]))
    return results


"""## Greedy search around a decoder step (seq2seq, captioning)"""


def greedy(step: Graph, fixed: dict, states: dict, *, start: int, end: int, banned, max_length: int) -> list[list[int]]:
    """The argmax token at each step, fed back, until every row has written `end` or `max_length` tokens."""
    rows = len(next(iter(fixed.values()))) if fixed else len(next(iter(states.values())))
    token = np.full((rows, 1), start, dtype=np.int32)
    written, done = [[] for _ in range(rows)], np.zeros(rows, bool)
    for _ in range(max_length):
        out = step({"token": token, **fixed, **states})
        scores = np.log(np.maximum(out["probabilities"][:, -1].astype(np.float64), 1e-30))
        scores[:, list(banned)] = -np.inf
        token = scores.argmax(axis=-1).astype(np.int32)[:, None]
        for row in np.flatnonzero(~done):
            written[row].append(int(token[row, 0]))
        done |= token[:, 0] == end
        states = {name: out[f"next_{name}"] for name in states}
        if done.all():
            break
    return [row[: row.index(end)] if end in row else row for row in written]


def seq2seq_decode(export: Export, texts: list[str]) -> list[str]:
    state, special = export.state, export.facts["special_ids"]
    source_index = {token: i for i, token in enumerate(state["source_vocabulary"])}
    keep = export.length  # LiteRT reads a source's first `length` tokens; ONNX reads it whole, as Run.decode does
    rows = []
    for text in texts:
        tokens = tokenize(text.strip(), state["tokenizer"])
        tokens = tokens[::-1] if state["reverse_source"] else tokens
        rows.append([source_index.get(token, special["unknown"]) for token in tokens][:keep])
    source = export.pad(rows)
    encoded = export.graphs["encoder"]({"source": source})
    fixed = {name: encoded.pop(name) for name in ("values", "keys") if name in encoded}
    if fixed:
        fixed["source_mask"] = source != 0
    found = greedy(export.graphs["decoder_step"], fixed, encoded, start=special["start"], end=special["end"],
                   banned=(special["pad"], special["start"]), max_length=export.facts["max_output_length"])
    words = state["target_vocabulary"]
    return [("" if state["tokenizer"] == "chars" else " ").join(words[i] for i in row if i > special["end"])
            for row in found]


def tokenize(text: str, kind: str) -> list[str]:
    """rnnzoo's tokenizers: characters, or lower-cased words with each punctuation mark a token."""
    if kind == "chars":
        return list(text)
    return re.sub(r"""([!"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~])""", r" \1 ", text.lower()).split()


"""## A character language model: the prompt primes the state, then one character per step"""


def generate(export: Export, prompt: str, length: int) -> str:
    """`length` characters after `prompt`, each the most likely one (Run.generate with temperature 0)."""
    characters = export.state["characters"]
    index = {c: i + 2 for i, c in enumerate(characters)}  # 0 padding, 1 unknown
    reader = "prompt" if "prompt" in export.graphs else "step"  # LiteRT reads the prompt N characters at a time
    shapes = export.facts["files"][export.graphs[reader].path.name]["inputs"]
    states = {name: np.zeros((1, shape[-1]), np.float32) for name, shape in shapes.items() if name != "inputs"}
    ids = [index.get(c, 1) for c in prompt]
    logits = np.array([-np.inf if s is None else s for s in export.facts["start_logits"]])
    chunk = export.length or max(len(ids), 1)
    for first in range(0, len(ids), chunk):
        part = ids[first:first + chunk]
        out = export.graphs[reader]({"inputs": export.pad([part], chunk), **states})
        logits = out["logits"][0, len(part) - 1]  # the logits after the last real character
        states = {name: out[f"next_{name}"] for name in states}
    written = []
    for position in range(length):
        scores = np.asarray(logits, np.float64)
        scores[:2] = -np.inf  # padding and unknown are never written
        best = int(scores.argmax())
        written.append(characters[best - 2])
        if position + 1 < length:
            out = export.graphs["step"]({"inputs": np.array([[best]], np.int32), **states})
            logits = out["logits"][0, 0]
            states = {name: out[f"next_{name}"] for name in states}
    return "".join(written)


"""## Command line"""

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="a folder written by `rnnzoo export RUN --format onnx|litert`")
    parser.add_argument("texts", nargs="+")
    parser.add_argument("--length", type=int, default=100, help="characters a language model writes (greedy)")
    args = parser.parse_args()
    export = Export(args.export)
    task = export.facts["task"]
    if task == "text_classification":
        for label, probability in classify(export, args.texts):
            print(f"{label}\t{probability:.4f}")
    elif task == "language_model":
        for prompt in args.texts:
            print(generate(export, prompt, args.length))
    elif task == "seq2seq":
        for output in seq2seq_decode(export, args.texts):
            print(output)
    else:
        raise SystemExit(f"This example runs text classifiers, language models and seq2seq models; {task} models "
                         "are run as docs/export.md shows.")
