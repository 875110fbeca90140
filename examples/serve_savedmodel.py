"""Serve an exported rnnzoo SavedModel of any kind, using TensorFlow alone.

    python examples/serve_savedmodel.py exported/imdb "A moving, beautifully acted film." "Two hours I will never get back."
    python examples/serve_savedmodel.py exported/de-en "Ein Mann fährt Fahrrad." --beam 5
    python examples/serve_savedmodel.py exported/chunker "He/PRP reckons/VBZ the/DT deficit/NN"
    python examples/serve_savedmodel.py exported/shakespeare "ROMEO:" --length 200 --temperature 0.8 --seed 1
    python examples/serve_savedmodel.py exported/captions scene.png photo.jpg --beam 3
    python examples/serve_savedmodel.py exported/tracker tracks.json
    python examples/serve_savedmodel.py exported/adding sequences.json

A SavedModel written by `rnnzoo export RUN --format savedmodel` holds the
preprocessing (vocabularies, tokenization), the decoding loop, beam search,
sampling and Viterbi, so a server needs neither rnnzoo nor Keras. This script
tells the kind from the SavedModel's signatures and prints one line per input:

| kind | inputs | prints |
|---|---|---|
| classifier | texts | label, P(label), text |
| seq2seq | source texts (`--beam N`) | output, source |
| tagger | sentences (`word/POS` tokens for a chunker that reads POS) | word/TAG ... |
| char LM | prompts (`--length`, `--temperature`, `--top-k`, `--seed`) | prompt + generated text |
| captioner | image files (PNG, JPEG, GIF, BMP; `--beam N`) | caption, file |
| tracker | JSON files of tracks: [[x, y], ...], null where a detection was missed | x,y per step |
| adding | JSON files of sequences: [[value, marker], ...] | the sum |

A JSON file holds one sequence or a list of sequences; each is served alone,
so their lengths may differ.
"""

import argparse
import json
import os
import re
import sys
import tempfile

"""## Import TensorFlow without its C++ start-up log lines"""
# On a machine without a GPU, TensorFlow's C++ libraries write lines such as `E0000 ... failed call to cuInit`
# while they load, before TF_CPP_MIN_LOG_LEVEL is read (it quiets only the later ones). So file descriptor 2
# points at a temporary file during the import, and every line that is not such a log line is written back.
C_LOG_LINE = re.compile(rb"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-/]+:\d+\] "
                        rb"|^WARNING: All log messages before absl::InitializeLog\(\) is called")


def import_tensorflow_quietly():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            os.write(2, b"".join(line for line in capture.read().splitlines(keepends=True)
                                 if not C_LOG_LINE.match(line)))
    return tensorflow


tf = import_tensorflow_quietly()

"""## Tell the kind from the signatures"""
KINDS = ("classifier", "seq2seq", "tagger", "char_lm", "captioner", "tracker", "adding")


def kind_of(model) -> str:
    """The kind of an rnnzoo SavedModel, from its signatures' names, inputs and outputs."""
    if "generate" in model.signatures:
        return "char_lm"
    default = model.signatures["serving_default"]
    inputs, outputs = default.structured_input_signature[1], set(default.structured_outputs)
    for output, kind in (("tags", "tagger"), ("caption", "captioner"), ("positions", "tracker"),
                         ("output", "seq2seq")):
        if output in outputs:
            return kind
    [spec] = inputs.values() if len(inputs) == 1 else [None]
    if spec is not None and spec.dtype == tf.string:
        return "classifier"  # also an export older than the `classify` signature
    if spec is not None and spec.dtype == tf.float32 and spec.shape.as_list() == [None, None, 2]:
        return "adding"
    raise ValueError(f"not an rnnzoo SavedModel: signatures {sorted(model.signatures)}, serving_default takes "
                     f"{sorted(inputs)} and gives {sorted(outputs)}")


"""## One function per kind: raw inputs in, Python values out"""


def strings(tensor) -> list[str]:
    return [value.decode("utf-8") for value in tensor.numpy().tolist()]


def classify(model, texts: list[str]) -> list[float]:
    """P(positive) of each text (`serve`: what `model.export` wrote for a classifier)."""
    return model.serve(tf.constant(texts)).numpy().ravel().tolist()


def label(model, texts: list[str]) -> list[tuple[str, float]]:
    """(label, P(label)) of each text from the `classify` signature; an older export has P(positive) only."""
    if "classify" not in model.signatures:
        return [("positive", p) if p >= 0.5 else ("negative", 1.0 - p) for p in classify(model, texts)]
    served = model.signatures["classify"](text=tf.constant(texts))
    return list(zip(strings(served["label"]), served["probability"].numpy().ravel().tolist()))


def translate(model, texts: list[str], beam: int = 0) -> list[str]:
    """Greedy decoding (`beam` 0), else beam search of that width."""
    if beam:
        return strings(model.signatures["beam"](text=tf.constant(texts), beam_width=tf.constant(beam))["output"])
    return strings(model.signatures["serving_default"](text=tf.constant(texts))["output"])


def tag(model, texts: list[str]) -> list[list[tuple[str, str]]]:
    """(word, tag) pairs of each sentence."""
    served = model.signatures["serving_default"](text=tf.constant(texts))
    words, tags = served["words"].numpy().tolist(), served["tags"].numpy().tolist()
    return [[(w.decode("utf-8"), t.decode("utf-8")) for w, t in zip(words[row][:n], tags[row][:n])]
            for row, n in enumerate(served["length"].numpy().tolist())]


def generate(model, prompts: list[str], length: int, temperature: float, top_k: int, seed: int) -> list[str]:
    """The text written after each prompt, one recurrent step per character; temperature 0 is greedy."""
    return strings(model.signatures["generate"](
        prompt=tf.constant(prompts), length=tf.constant(length, tf.int32),
        temperature=tf.constant(temperature, tf.float32), top_k=tf.constant(top_k, tf.int32),
        seed=tf.constant(seed, tf.int64))["text"])


def caption(model, images: list[bytes], beam: int = 0) -> list[str]:
    """A caption for each encoded image (greedy, or beam search of width `beam`)."""
    if beam:
        return strings(model.signatures["beam"](image=tf.constant(images), beam_width=tf.constant(beam))["caption"])
    return strings(model.signatures["serving_default"](image=tf.constant(images))["caption"])


def track(model, detections: list) -> list[list[float]]:
    """The (x, y) position at every step of one track of detections (None or NaN where missed)."""
    values = [[float("nan")] * 2 if d is None else [float("nan") if v is None else v for v in d] for d in detections]
    served = model.signatures["serving_default"](detections=tf.constant([values], tf.float32))
    return served["positions"].numpy()[0].tolist()


def add(model, sequence: list) -> float:
    """The adding model's sum of the values whose marker is 1."""
    [name] = model.signatures["serving_default"].structured_input_signature[1]
    served = model.signatures["serving_default"](**{name: tf.constant([sequence], tf.float32)})
    return float(next(iter(served.values())).numpy().ravel()[0])


"""## Read the command line, serve, print"""


def sequences_in(path: str) -> list:
    """The sequences of a JSON file: one sequence ([[a, b], ...]) or a list of them."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    def is_step(item) -> bool:  # [a, b] (a number or null each), or null: a missed detection
        return item is None or isinstance(item, list) and all(v is None or isinstance(v, (int, float)) for v in item)

    return [data] if all(is_step(item) for item in data) else data


def lines(model, kind: str, args) -> list[str]:
    inputs = args.inputs
    if kind == "classifier":
        return [f"{name}\t{p:.4f}\t{text}" for text, (name, p) in zip(inputs, label(model, inputs))]
    if kind == "seq2seq":
        return [f"{output}\t{text}" for text, output in zip(inputs, translate(model, inputs, args.beam))]
    if kind == "tagger":
        return [" ".join(f"{word}/{label}" for word, label in pairs) for pairs in tag(model, inputs)]
    if kind == "char_lm":
        seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
        texts = generate(model, inputs, args.length, args.temperature, args.top_k, seed)
        return [prompt + text for prompt, text in zip(inputs, texts)]
    if kind == "captioner":
        images = []
        for path in inputs:
            with open(path, "rb") as handle:
                images.append(handle.read())
        return [f"{text}\t{path}" for path, text in zip(inputs, caption(model, images, args.beam))]
    sequences = [sequence for path in inputs for sequence in sequences_in(path)]
    if kind == "tracker":
        return [" ".join(f"{x:.4f},{y:.4f}" for x, y in track(model, sequence)) for sequence in sequences]
    return [f"{add(model, sequence):.4f}" for sequence in sequences]


# Flags that only some kinds read: one given to another kind is a usage error, not silently ignored.
FLAG_KINDS = {"beam": ("seq2seq", "captioner"), "length": ("char_lm",), "temperature": ("char_lm",),
              "top_k": ("char_lm",), "seed": ("char_lm",)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     usage="serve_savedmodel.py SAVEDMODEL_DIR INPUT [INPUT ...] [options]")
    parser.add_argument("savedmodel", help="the folder `rnnzoo export RUN --format savedmodel` wrote")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="texts, prompts, image files or JSON files, as the kind needs")
    parser.add_argument("--beam", type=int, help="seq2seq, captioner: beam search of this width (default: greedy)")
    parser.add_argument("--length", type=int, help="char LM: characters to write (default 200)")
    parser.add_argument("--temperature", type=float, help="char LM: 0 is greedy (default 1.0)")
    parser.add_argument("--top-k", type=int, help="char LM: sample among the k likeliest (default 0: all)")
    parser.add_argument("--seed", type=int, help="char LM: the same seed writes the same text (default: random)")
    args = parser.parse_args()

    model = tf.saved_model.load(args.savedmodel)  # keep the loaded object alive while calling it
    kind = kind_of(model)
    for flag, kinds in FLAG_KINDS.items():
        if getattr(args, flag) is not None and kind not in kinds:
            parser.error(f"--{flag.replace('_', '-')} applies to {' and '.join(kinds)} models; "
                         f"{args.savedmodel} is a {kind}")
    defaults = {"beam": 0, "length": 200, "temperature": 1.0, "top_k": 0}
    for flag, value in defaults.items():
        if getattr(args, flag) is None:
            setattr(args, flag, value)
    for line in lines(model, kind, args):
        print(line)


def one_line(error: Exception) -> str:
    """The message of an error, without the node and stack lines TensorFlow's graph errors carry."""
    text = getattr(error, "message", None) or str(error)
    kept = [line for line in text.splitlines() if line.strip() and not line.startswith(
        ("Graph execution error", "Detected at node", "<stack traces", " ", "\t"))]
    return kept[0] if kept else text


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, tf.errors.InvalidArgumentError) as error:  # a bad input: one line, no traceback
        sys.exit(f"serve_savedmodel.py: {one_line(error)}")
