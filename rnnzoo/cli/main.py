"""The `rnnzoo` command line.

Exit status: 0 on success, 2 on bad usage or bad input (a one-line message on
stderr), 1 on an unexpected failure (one line; `--debug` shows the traceback).
`--debug` and `--verbose` (TensorFlow's C++ log lines) go before or after the command.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

from rnnzoo._version import __version__
from rnnzoo.cli.hints import unrecognized_message
from rnnzoo.cli.quiet import quiet_tensorflow
from rnnzoo.config.overrides import parse_set_values
from rnnzoo.errors import RnnzooError


def _task(cfg) -> str:
    """The task kind and its data set: "text_classification (imdb)"."""
    return f"{cfg.task} ({cfg.data.dataset})" if cfg.data.dataset else cfg.task


def cmd_list(args) -> int:
    import rnnzoo

    names = rnnzoo.list_models(args.pattern)
    if not names:
        raise RnnzooError(f"No model name matches {args.pattern!r}. Run `rnnzoo list` to see every name.")
    width = max(len(n) for n in names)
    for name in names:
        cfg = rnnzoo.load_config(name)
        print(f"{name:<{width}}  {cfg.io:<11}  {_task(cfg)}")
    return 0


def cmd_info(args) -> int:
    import rnnzoo
    from rnnzoo.tasks import task_class

    cfg = rnnzoo.load_config(args.name, parse_set_values(args.set))
    model = rnnzoo.build(args.name, compile=False, **parse_set_values(args.set))
    print(f"name:        {cfg.name}")
    print("description: " + textwrap.fill(cfg.description, 88, subsequent_indent=" " * 13))
    print(f"io:          {cfg.io}")
    print(f"task:        {_task(cfg)}")
    print("recipe:      " + "\n             ".join(recipe_lines(cfg)))
    print(f"parameters:  {model.count_params():,}")
    print(f"exports:     a SavedModel, {task_class(cfg).serves} (rnnzoo export RUN, after training)")
    print()
    print(layer_table(model))
    return 0


RECIPE = (("data", ("dataset", "max_length")), ("train", ("epochs", "batch_size")),
          ("train", ("optimizer", "learning_rate", "lr_schedule")))


def recipe_lines(cfg) -> list[str]:
    """How the model trains, as the `--set` names of the fields: data set, length cap, epochs, batch size, optimizer."""
    return ["  ".join(f"{section}.{name}={getattr(getattr(cfg, section), name)}" for name in names)
            for section, names in RECIPE]


def layer_table(model) -> str:
    """One line per layer: name, type, output shape, parameters (plain text, any width)."""
    rows = [("layer", "type", "output shape", "params")]
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = getattr(shape, "shape", "") if not isinstance(shape, (list, tuple)) else [t.shape for t in shape]
        rows.append((layer.name, type(layer).__name__, str(shape), f"{layer.count_params():,}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in rows
    )


def add_global_options(parser: argparse.ArgumentParser, *, default) -> None:
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks of failures")
    parser.add_argument("--verbose", action="store_true", default=default,
                        help="show TensorFlow's C++ log lines (hidden by default)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnzoo", description="A Keras 3 model zoo of recurrent networks.")
    parser.add_argument("--version", action="version", version=f"rnnzoo {__version__}")
    add_global_options(parser, default=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("list", help="list named models")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style wildcard, e.g. 'sentiment_*'")
    p.set_defaults(run=cmd_list)

    p = commands.add_parser("info", help="describe a named model: I/O configuration, layers, parameters")
    p.add_argument("name", help="a model name or a .toml config file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    p.set_defaults(run=cmd_info)

    from rnnzoo.cli import commands as run_commands  # train, evaluate, predict, export

    run_commands.add_parsers(commands)
    for command in commands.choices.values():
        # After the command too; SUPPRESS keeps a value given before the command when it is not repeated after.
        add_global_options(command, default=argparse.SUPPRESS)
        command.set_defaults(command_parser=command)  # its usage for an error after parsing
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "texts") and not any(e.startswith("--") for e in extra):
        args.texts += extra  # texts after options: `rnnzoo decode RUN --beam-width 5 "Ein Mann ..."`
    elif extra:  # the command's usage, and `--set` for a flag that names a config field (`--lr 0.01`)
        args.command_parser.error(unrecognized_message(extra, takes_set="set" in args))
    if not args.verbose:
        quiet_tensorflow()
    try:
        return args.run(args)
    except RnnzooError as err:
        if args.debug:
            raise
        print(f"rnnzoo: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnnzoo: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rnnzoo list | head`: the reader left; nothing is wrong
        # Python would report the pipe again when it flushes stdout at exit; point stdout at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # noqa: BLE001 - the CLI's last line of defence
        if args.debug:
            raise
        print(f"rnnzoo: unexpected failure: {type(err).__name__}: {err} (run with --debug for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
