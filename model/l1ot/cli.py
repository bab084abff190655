"""Command-line interface: ``l1ot <command> ...``.

Each module in :mod:`l1ot.commands` defines ``register(subparsers)`` adding one
or more sub-commands whose handler is stored as ``func`` (returns an int exit
code). Errors derived from :class:`l1ot.errors.L1otError` are printed as one
clear line and give exit code 2 — never a bare traceback. Exit codes
(``docs/errors.md``): 0 success, 1 ``inspect`` found bad events (or no command),
2 bad input, bad argument or unwritable output, 3 an internal error (a bug:
one line, and the traceback with ``L1OT_TRACEBACK=1``), 130 interrupted.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from . import __version__
from .errors import L1otError, UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="l1ot",
        description="Optimal-transport anomaly detection for the CMS Level-1 trigger.",
    )
    parser.add_argument("--version", action="version", version=f"l1ot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(mod, "register"):
            mod.register(sub)
    _tag_parsers(parser)
    return parser


def _tag_parsers(parser) -> None:
    """Store each (sub-)parser in its own defaults, so a handler's UsageError is printed by it."""
    parser.set_defaults(_parser=parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for p in set(action.choices.values()):
                _tag_parsers(p)


def _one_line(text) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage and error already printed (or --help)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except L1otError as exc:  # raised inside an argument type function
        print(f"l1ot: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    if not getattr(args, "func", None):
        (getattr(args, "_parser", None) or parser).print_help()
        return 1
    name = " ".join(x for x in (args.command, getattr(args, "action", None)) if x)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        try:
            (getattr(args, "_parser", None) or parser).error(_one_line(exc))
        except SystemExit as stop:
            return stop.code if isinstance(stop.code, int) else 2
    except L1otError as exc:
        print(f"l1ot {name}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"l1ot {name}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the system refused a read or write; name the file it gave
        where = f"file {exc.filename}: " if exc.filename else ""
        print(f"l1ot {name}: error: {where}{_one_line(exc.strerror or exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line; the traceback on request
        if os.environ.get("L1OT_TRACEBACK"):
            raise
        print(f"l1ot {name}: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(please report it; L1OT_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
