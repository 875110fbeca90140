"""CLI commands that train and use run folders (train, evaluate, predict, generate, decode, export) and the lab."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rnnzoo.errors import DataError, RnnzooError
from rnnzoo.export import EXPORT_FORMATS


def _data_dir(args) -> str | None:
    if args.data is not None and args.data_dir is not None:
        raise RnnzooError("Pass either --data sample or --data-dir PATH, not both.")
    return args.data if args.data is not None else args.data_dir


def read_inputs(texts: list[str], file: str | None) -> list[str]:
    """Inputs from the command line, or one per line from a file ('-' is standard input)."""
    if texts and file:
        raise RnnzooError("Pass inputs as arguments or with --file, not both.")
    if file is None:
        if not texts:
            raise RnnzooError("No inputs: pass texts as arguments or --file FILE (one input per line).")
        return texts
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except FileNotFoundError:
        raise DataError(f"Input file not found: {file}") from None
    except IsADirectoryError:
        raise DataError(f"Input file is a folder: {file}") from None
    lines = split_lines(raw)
    if not lines:
        raise DataError(f"Input file is empty: {file}")
    return lines


def split_lines(raw: bytes) -> list[str]:
    """Lines split at "\n" and "\r\n" only, so output lines match input lines for any bytes.

    `str.splitlines` also splits at form feed, \x1c-\x1e, \x85, U+2028 and U+2029: text inside a line here.
    The newline that ends the last line starts no new line.
    """
    lines = raw.decode("utf-8", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def results_with_blanks(texts: list[str], run_inputs) -> list:
    """`run_inputs(non_blank_texts)` in place, None for each blank input: every task passes blank lines the same way."""
    kept = [text for text in texts if text.strip()]
    results = iter(run_inputs(kept) if kept else [])
    return [next(results) if text.strip() else None for text in texts]


def _json_value(value):
    return value.tolist() if hasattr(value, "tolist") else str(value)  # numpy values; anything else as text


def cmd_train(args) -> int:
    from rnnzoo.config.overrides import parse_set_values
    from rnnzoo.training import train

    overrides = parse_set_values(args.set)
    if args.src or args.tgt:  # a pair of parallel text files instead of the named data set
        overrides.update(dataset="parallel", source_file=args.src or "", target_file=args.tgt or "")
    if args.mixed_precision:
        overrides["mixed_precision"] = True
    # Flags and --set name the same fields; the flag wins (two keyword arguments would be a TypeError).
    for key in ("epochs", "batch_size", "seed"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    if args.deterministic:
        overrides["deterministic"] = True
    run = train(args.name, data_dir=_data_dir(args), out_dir=args.out, download=False if args.no_download else None,
                strategy=args.strategy, tensorboard=args.tensorboard,
                # A progress bar in a terminal; one line per epoch in logs and pipes.
                verbose="auto" if sys.stdout.isatty() else 2, **overrides)
    print(json.dumps({k: v for k, v in run.metrics.items() if k != "versions"}, indent=2))
    print(f"run folder: {run.dir}")
    return 0


def cmd_evaluate(args) -> int:
    from rnnzoo.runs import load_run

    results = load_run(args.run_dir).evaluate(data_dir=_data_dir(args))
    print(json.dumps(results, indent=2))
    return 0


def cmd_predict(args) -> int:
    from rnnzoo.runs import load_run

    run = load_run(args.run_dir)
    texts = read_inputs(args.texts, args.file)
    predictions = results_with_blanks(texts, run.predict)
    # A blank input has the same keys, as nulls; ASCII JSON, so no reader splits a line at U+2028 or \x85.
    blank = dict.fromkeys(next((p for p in predictions if p is not None), {}))
    blank.pop("text", None)
    for text, prediction in zip(texts, predictions):
        if args.output == "jsonl":  # joins to the input safely, whatever the text holds
            fields = blank if prediction is None else {k: v for k, v in prediction.items() if k != "text"}
            print(json.dumps({"input": text, **fields}, default=_json_value))
        else:
            print("" if prediction is None else run.task.format_prediction(prediction))
    return 0


def cmd_decode(args) -> int:
    from rnnzoo.runs import load_run

    run = load_run(args.run_dir)
    options = {} if args.max_length is None else {"max_length": args.max_length}
    texts = read_inputs(args.texts, args.file)
    for result in results_with_blanks(texts, lambda kept: run.decode(kept, beam_width=args.beam_width, **options)):
        print("" if result is None else result["output"])
    return 0


def cmd_generate(args) -> int:
    from rnnzoo.runs import load_run

    run = load_run(args.run_dir)
    texts = run.generate(args.prompt, length=args.length, temperature=args.temperature, top_k=args.top_k,
                         seed=args.seed, num_samples=args.num_samples)
    for index, text in enumerate([texts] if isinstance(texts, str) else texts):
        if index:
            print("\n" + "-" * 40)
        print(args.prompt + text)
    return 0


def cmd_export(args) -> int:
    from rnnzoo.runs import load_run

    path = load_run(args.run_dir).export(args.out, format=args.format, length=args.length, quantize=args.quantize)
    print(f"exported {args.format} to {path}")
    return 0


def cmd_lab(args) -> int:
    from rnnzoo import lab
    from rnnzoo.errors import ConfigError

    lengths = []
    for text in args.length or [",".join(str(n) for n in lab.DEFAULT_LENGTHS)]:
        for part in text.split(","):
            try:
                lengths.append(int(part))
            except ValueError:
                raise ConfigError(f"--length takes integers >= 2 (e.g. 100 or 50,100,200). Received: {text!r}") from None
    overrides = {k: v for k, v in (("epochs", args.epochs), ("num_examples", args.num_examples)) if v is not None}
    lab.vanishing(lengths, args.out, cells=tuple(args.cells.split(",")), exploding=not args.no_exploding,
                  log=lambda line: print(line, flush=True), **overrides)
    return 0


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="the data set's folder or archive (default: $RNNZOO_DATA_DIR, then download)")
    parser.add_argument("--data", choices=["sample"], help="'sample': the small real sample shipped with rnnzoo")


INPUT_FILE_HELP = "a UTF-8 file with one input per line, split at \\n or \\r\\n only ('-' for standard input)"


def add_parsers(commands) -> None:
    p = commands.add_parser("train", help="train a named model on its data into a run folder")
    p.add_argument("name", help="a model name or a .toml config file")
    _add_data_arguments(p)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    p.add_argument("--out", help="run folder (default runs/NAME-TIMESTAMP); an interrupted run there resumes")
    p.add_argument("--no-download", action="store_true", help="never download; fail fast if the data is not local")
    p.add_argument("--src", help="seq2seq: a source text file, line-aligned with --tgt (split by seed)")
    p.add_argument("--tgt", help="seq2seq: the target text file, line-aligned with --src")
    p.add_argument("--mixed-precision", action="store_true",
                   help="float16 compute on GPU (bfloat16 on CPU), float32 variables, head and loss")
    p.add_argument("--strategy", default="default", metavar="NAME",
                   help="default | mirrored (all local GPUs) | multi-worker (hosts in TF_CONFIG); TensorFlow backend")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write TensorBoard logs into RUN/tensorboard (open with: tensorboard --logdir RUN/tensorboard)")
    p.add_argument("--seed", type=int, help="random seed of weights, dropout and data order (train.seed)")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic TensorFlow kernels: the same seed gives bit-identical weights (train.deterministic)")
    p.set_defaults(run=cmd_train)

    p = commands.add_parser("evaluate", help="test-set loss and metrics of a run folder")
    p.add_argument("run_dir")
    _add_data_arguments(p)
    p.set_defaults(run=cmd_evaluate)

    p = commands.add_parser(
        "predict", help="predict raw inputs with a run folder, one line per input",
        description="Predicts raw inputs with a run folder: one output line per input line, in order; a blank "
                    "input gives a blank line. A text classifier prints LABEL<TAB>P, where P is the probability "
                    "of the printed label (so never below 1/number of labels).")
    p.add_argument("run_dir")
    p.add_argument("texts", nargs="*", help="inputs (or --file)")
    p.add_argument("--file", help=INPUT_FILE_HELP)
    p.add_argument("--output", choices=("text", "jsonl"), default="text",
                   help="text (default) or jsonl: one JSON object per input with the input itself, the label and "
                        "P(label) (text classifiers: input, label, probability, probabilities)")
    p.set_defaults(run=cmd_predict)

    p = commands.add_parser("decode", help="seq2seq: decode raw inputs (captioning: image files) with a run folder, "
                                           "one output line per input")
    p.add_argument("run_dir")
    p.add_argument("texts", nargs="*", help="inputs (or --file)")
    p.add_argument("--file", help=INPUT_FILE_HELP)
    p.add_argument("--beam-width", type=int, default=1, help="1 is greedy search (default)")
    p.add_argument("--max-length", type=int, help="most output tokens (default: longest training target + 10)")
    p.set_defaults(run=cmd_decode)

    p = commands.add_parser("generate", help="sample text from a language model's run folder, one character per step")
    p.add_argument("run_dir")
    p.add_argument("--prompt", default="", help="text that primes the state (default: empty, the start state)")
    # Numbers are checked by rnnzoo (one-line errors), not argparse.
    p.add_argument("--length", default="500", help="characters to generate (1 to 100,000; default 500)")
    p.add_argument("--temperature", default="1.0", help="0 is greedy; default 1.0")
    p.add_argument("--top-k", default="0", help="sample among the K most likely characters; 0 (default) keeps all")
    p.add_argument("--seed", default=None, help="makes the output reproducible")
    p.add_argument("--num-samples", default=None, help="independent samples, printed one after another")
    p.set_defaults(run=cmd_generate)

    p = commands.add_parser("export", help="export a run folder's model with its preprocessing inside (or beside it: "
                                           "onnx, litert)")
    p.add_argument("run_dir")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="savedmodel",
                   help="savedmodel (default) | keras | onnx | litert (these two need: pip install \"rnnzoo[export]\")")
    p.add_argument("--out", help="output path (default: RUN_DIR/savedmodel, RUN_DIR/model_raw_input.keras, "
                                 "RUN_DIR/onnx or RUN_DIR/litert)")
    p.add_argument("--length", type=int, help="litert: the fixed number of steps the recurrent layers are unrolled "
                                              "at (longer inputs are truncated, shorter ones padded and masked)")
    p.add_argument("--quantize", choices=("int8",), help="onnx, litert: dynamic-range int8 weights")
    p.set_defaults(run=cmd_export)

    p = commands.add_parser("lab", help="vanishing: the adding problem for rnn, lstm and gru; plots and a table")
    p.add_argument("experiment", choices=["vanishing"])
    p.add_argument("--length", action="append", metavar="T", help="sequence length(s): 100, or 50,100,200 "
                                                                   "(repeatable; default 50,100,200)")
    p.add_argument("--out", default="lab", help="folder for the PNG plots, vanishing.md and results.json")
    p.add_argument("--cells", default="rnn,lstm,gru", help="comma-separated cells (default rnn,lstm,gru)")
    p.add_argument("--epochs", type=int, help="override every model's epochs")
    p.add_argument("--num-examples", type=int, help="override every model's number of examples (all splits)")
    p.add_argument("--no-exploding", action="store_true", help="skip the exploding-gradient case")
    p.set_defaults(run=cmd_lab)

    p = commands.add_parser("doctor", help="backend, versions, devices; with NAME, each layer's fused (cuDNN) kernel eligibility")
    p.add_argument("name", nargs="?", help="a model name or a .toml config file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=cmd_doctor)


def cmd_doctor(args) -> int:
    from rnnzoo.config.overrides import parse_set_values
    from rnnzoo.cli.doctor import doctor, format_report

    overrides = parse_set_values(args.set)
    if overrides and args.name is None:
        raise RnnzooError("--set needs a model NAME to apply to.")
    report = doctor(args.name, **overrides)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
