#!/usr/bin/env python3
"""Totals of the CLI error table (``tests/cli_error_cases.py``, ``docs/errors.md``).

Runs every row of the table -- each ``l1ot`` command on each input class --
in-process through ``l1ot.cli.main(argv)``, like ``tests/test_cli_errors.py``,
and prints per class: cases run, tracebacks (or internal errors), exit 0 on a
bad input, partial or destroyed outputs (any file of the input folder changed,
added or removed) and rows failing any other check (exit code, one error line
naming the file). Exit status 1 if any of these is not 0.

    .venv/bin/python scripts/cli_errors_report.py [--verbose] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import cli_error_cases as T  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verbose", action="store_true", help="print every row with its error line")
    ap.add_argument("--json", default=None, help="also write the totals to this JSON file")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="l1ot-cli-errors-") as tmp:
        env = os.path.join(tmp, "env")
        T.build_env(env)
        try:
            for case in T.CASES:
                if case.bad:
                    results.append(T.run_case(case, env))
                else:
                    root = os.path.join(tmp, case.id)
                    shutil.copytree(env, root, symlinks=True)
                    results.append(T.run_case(case, root))
                    T.release_env(root)
        finally:
            T.release_env(env)
    by_cls = defaultdict(list)
    for r in results:
        by_cls[r.case.cls].append(r)
    cols = ("cases", "tracebacks", "exit 0 on bad input", "partial/destroyed outputs", "failed checks")
    print(f"| class | {' | '.join(cols)} |")
    print("|---|" + "---:|" * len(cols))
    for cls in sorted(by_cls):
        s = T.summarize(by_cls[cls])
        print(f"| {cls} | {s['cases']} | {s['tracebacks']} | {s['exit0_on_bad_input']} | "
              f"{s['partial_or_destroyed_outputs']} | {s['failed_checks']} |")
    tot = T.summarize(results)
    print(f"| **total** | {tot['cases']} | {tot['tracebacks']} | {tot['exit0_on_bad_input']} | "
          f"{tot['partial_or_destroyed_outputs']} | {tot['failed_checks']} |")
    print(f"\n{tot['cases']} cases ({tot['bad_input_cases']} bad input, {tot['valid_cases']} valid) in "
          f"{time.perf_counter() - t0:.1f} s: {tot['tracebacks']} tracebacks, {tot['exit0_on_bad_input']} exit 0 "
          f"on bad input, {tot['partial_or_destroyed_outputs']} partial or destroyed outputs, "
          f"{tot['failed_checks']} rows failing a check")
    for r in results:
        if r.problems or args.verbose:
            line = next((ln for ln in r.err.splitlines() if "error:" in ln), r.err.strip()[-200:])
            print(f"  [{'FAIL' if r.problems else 'ok'}] {r.case.id}: exit {r.code}; {'; '.join(r.problems)}"
                  f"{' | ' if line else ''}{line}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(tot, f, indent=1)
    bad = tot["tracebacks"] + tot["exit0_on_bad_input"] + tot["partial_or_destroyed_outputs"] + tot["failed_checks"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
