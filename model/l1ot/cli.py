"""Command-line interface: ``l1ot <command> ...``.

Each module in :mod:`l1ot.commands` defines ``register(subparsers)`` adding one
or more sub-commands whose handler is stored as ``func`` (returns an int exit
code). Errors derived from :class:`l1ot.errors.L1otError` are printed as one
clear line and give exit code 2 — never a bare traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import __version__
from .errors import L1otError


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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except L1otError as exc:
        print(f"l1ot {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
