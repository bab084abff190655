#!/usr/bin/env python3
"""``make mutate``: plant each mutant of ``mutation/mutants.toml`` and run the check that must kill it.

A mutant is one realistic bug kept as data: a file, an exact old text (it must
occur exactly once in that file), the new text, and the narrowest project check
that must fail when the bug is present (``docs/mutation.md``).

The user's tree is never modified. The runner copies the tree (the files git
tracks plus untracked, not ignored ones; without git, everything except
``.git``, ``.venv`` and ``build``) into a temporary directory together with the
trained models and exports of ``BUILD`` (``model_k*.h5``, ``export/``), and
works only there: ``PYTHONPATH`` points at the copy's ``model/`` and
``L1OT_BUILD`` at the copy's ``build/``. The copy is deleted at the end, also
on Ctrl-C.

0. Prepare: the commands of the file's top-level ``prepare`` list run once in
   the copy (``make export`` for K = 32 and 8: the copied exports are brought
   up to date with the copy's sources, so a stale ``build/`` cannot decide a
   result). Skipped when every selected mutant is of a layer of ``NO_PREPARE``
   (``offline``: the offline physics layer, whose checks build their own inputs).
1. Baseline: every distinct check of the selection runs once on the unmutated
   copy. A check that fails (or, for pytest, passes nothing or skips) there is
   reported as ``baseline failed`` and kills nothing.
2. For each mutant: the old text is replaced (exactly one occurrence, else the
   mutant is an ``error``), the check runs with a timeout, the file is written
   back byte for byte and its SHA-256 verified.

How a result is judged (the only difference between the baseline run and the
mutant's run of a check is the mutant, so a failure is attributed to it):

* ``killed``: the check failed. ``how`` says in what way: ``test failed``;
  ``build failed`` (the mutant does not compile: g++, Verilator, or a Python
  import/collection error; a legitimate kill, but mutants are written to
  compile); ``timeout`` (the check ran longer than max(120 s, 4 x baseline)).
* ``survived``: the check passed with the mutant in place.
* ``error``: the mutant could not be applied (old text missing or ambiguous),
  the check could not run (pytest usage error, no tests collected), or its
  baseline failed.

Mutants marked ``equivalent = "reason"`` cannot be killed by construction; they
are run and listed with the reason, and their survival is expected.

Writes ``reports/mutation.md`` and ``reports/mutation.json`` (results of
earlier runs of mutants outside a ``--only``/``--layer`` selection are kept)
and exits 1 if any non-equivalent mutant survived or any result is an error,
2 on a bad mutants file or set-up error.

Usage: scripts/mutate.py [--only ID[,ID..]] [--layer model|ref|hls|rtl|offline|tb] [--list]
                         [--build build] [--keep-scratch]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("model", "ref", "hls", "rtl", "offline", "tb")
#: layers whose checks do not read the exports of BUILD: a selection of only these skips ``prepare``
#: (``tb``: the test infrastructure of testbench/ipbus, the IPbus endpoint and its cocotb bridge)
NO_PREPARE = ("offline", "tb")
REQUIRED = ("id", "layer", "file", "old", "new", "check", "description")
OPTIONAL = ("equivalent",)
SKIP_DIRS = {".git", ".venv", "build", "__pycache__", ".pytest_cache", ".hypothesis", "sim_build"}
# a failure whose output shows one of these is a build failure of the mutant, not a test failure
BUILD_MARKERS = ("%Error", "compilation failed", "SyntaxError", "IndentationError",
                 "ImportError while importing", "CalledProcessError")


class SetupError(Exception):
    """Bad mutants file or set-up problem: one-line message, exit code 2."""


# ---------------------------------------------------------------- mutants file

def load_mutants(path: Path) -> list[dict]:
    """Parse and validate the mutants file: ``[[mutant]]`` tables with the REQUIRED keys."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise SetupError(f"{path}: mutants file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(f"{path}: invalid TOML ({exc})") from None
    muts = data.get("mutant")
    if not isinstance(muts, list) or not muts:
        raise SetupError(f"{path}: no [[mutant]] tables")
    seen = set()
    for n, m in enumerate(muts):
        where = f"{path}: mutant #{n + 1} ({m.get('id', '?')})"
        for key in REQUIRED:
            if not isinstance(m.get(key), str) or (key != "new" and not m[key]):
                raise SetupError(f"{where}: field '{key}' missing or not a non-empty string")
        extra = set(m) - set(REQUIRED) - set(OPTIONAL)
        if extra:
            raise SetupError(f"{where}: unknown field(s) {sorted(extra)}")
        if m["layer"] not in LAYERS:
            raise SetupError(f"{where}: layer '{m['layer']}' not one of {', '.join(LAYERS)}")
        if m["old"] == m["new"]:
            raise SetupError(f"{where}: old and new text are the same")
        if m["id"] in seen:
            raise SetupError(f"{where}: duplicate id")
        seen.add(m["id"])
    return muts


def load_prepare(path: Path) -> list[str]:
    """Top-level ``prepare``: commands run once in the scratch copy before the baselines."""
    prep = tomllib.loads(Path(path).read_text()).get("prepare", [])
    if not isinstance(prep, list) or not all(isinstance(c, str) and c for c in prep):
        raise SetupError(f"{path}: 'prepare' must be a list of command strings")
    return prep


def select(muts: list[dict], only=None, layer=None) -> list[dict]:
    out = muts
    if only:
        ids = [i for o in only for i in o.split(",") if i]
        unknown = [i for i in ids if i not in {m["id"] for m in muts}]
        if unknown:
            raise SetupError(f"--only: unknown mutant id(s) {', '.join(unknown)}")
        out = [m for m in out if m["id"] in ids]
    if layer:
        out = [m for m in out if m["layer"] == layer]
    if not out:
        raise SetupError("the selection is empty")
    return out


# ---------------------------------------------------------------- scratch tree

def tree_files(repo: Path) -> list[str]:
    """Files of the user's tree to copy: git-tracked plus untracked, not ignored ones."""
    try:
        p = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           capture_output=True, check=True)
        files = [f for f in p.stdout.decode().split("\0") if f]
        return [f for f in files if (repo / f).is_file()]  # deleted but still tracked files are skipped
    except (OSError, subprocess.CalledProcessError):
        out = []
        for root, dirs, names in os.walk(repo):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
            out += [str((Path(root) / n).relative_to(repo)) for n in names]
        return out


def make_scratch(repo: Path, build: Path, keep: bool = False) -> Path:
    """Copy the tree and the build inputs (models, exports) into a new temporary directory."""
    scratch = Path(tempfile.mkdtemp(prefix="l1ot-mutate-"))
    for f in tree_files(repo):
        dst = scratch / f
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / f, dst)
    sb = scratch / "build"
    sb.mkdir(exist_ok=True)
    if build.is_dir():
        for m in build.glob("model_k*.h5"):
            shutil.copy2(m, sb / m.name)
        if (build / "export").is_dir():
            shutil.copytree(build / "export", sb / "export")
    return scratch


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def apply_mutant(root: Path, m: dict) -> bytes:
    """Replace the mutant's old text in ``root/file``; return the original bytes.

    Raises ValueError (one line) if the file is missing or the old text does not
    occur exactly once.
    """
    path = root / m["file"]
    if not path.is_file():
        raise ValueError(f"{m['file']}: file not found")
    orig = path.read_bytes()
    text = orig.decode()
    n = text.count(m["old"])
    if n != 1:
        raise ValueError(f"{m['file']}: old text occurs {n} times (must be exactly once)")
    path.write_text(text.replace(m["old"], m["new"]))
    return orig


def restore(root: Path, m: dict, orig: bytes) -> None:
    path = root / m["file"]
    path.write_bytes(orig)
    if hashlib.sha256(path.read_bytes()).digest() != hashlib.sha256(orig).digest():
        raise RuntimeError(f"{path}: could not be restored")


# ---------------------------------------------------------------- checks

def check_argv(check: str) -> list[str]:
    """A check string -> argv: ``pytest ARGS`` and ``python ARGS`` run with this interpreter."""
    argv = shlex.split(check)
    if argv[0] == "pytest":
        return [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-rs", *argv[1:]]
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    return argv


def run_check(check: str, root: Path, env: dict, timeout: float, log: Path) -> dict:
    """Run one check in ``root``; return {rc, seconds, timeout, output_tail}. Kills its process group on timeout."""
    t0 = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        fh.write(f"$ {check}\n(cwd {root})\n")
        fh.flush()
        p = subprocess.Popen(check_argv(check), cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                             start_new_session=True)
        timed_out = False
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(p)
        except BaseException:
            _kill(p)
            raise
    out = log.read_text(errors="replace")
    return {"rc": p.returncode, "seconds": round(time.monotonic() - t0, 1), "timeout": timed_out, "output": out}


def _kill(p: subprocess.Popen) -> None:
    """Stop a check and everything it started (its own session / process group)."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    except ProcessLookupError:
        pass


def is_pytest(check: str) -> bool:
    return shlex.split(check)[0] == "pytest"


def baseline_ok(check: str, res: dict) -> tuple[bool, str]:
    """A baseline must pass; a pytest baseline must also pass at least one test and skip none."""
    if res["timeout"]:
        return False, "timed out"
    if res["rc"] != 0:
        return False, f"exit code {res['rc']}: {reason(res['output'])}"
    if is_pytest(check):
        tail = res["output"].strip().splitlines()[-1] if res["output"].strip() else ""
        if "passed" not in tail:
            return False, f"no test passed ({tail})"
        if "skipped" in tail:
            return False, f"tests skipped ({tail})"
    return True, "passed"


def judge(check: str, res: dict) -> tuple[str, str]:
    """(result, how) of a mutant's check run; see the module docstring."""
    if res["timeout"]:
        return "killed", "timeout"
    rc = res["rc"]
    if rc == 0:
        return "survived", ""
    build = any(mk in res["output"] for mk in BUILD_MARKERS)
    if is_pytest(check):
        if rc == 1:
            return "killed", "build failed" if build else "test failed"
        if rc == 2 and build:  # collection error from an import of the mutated module
            return "killed", "build failed"
        return "error", f"pytest exit code {rc} (check did not run)"
    if "hls/run_csim.py" in check and rc == 2:
        return "error", "run_csim set-up error (exit code 2)"
    return "killed", "build failed" if build else "test failed"


def reason(output: str) -> str:
    """One line from a failing check's output that says why."""
    pats = [r"^E\s+(Mismatched elements.*)$", r"^(MISMATCH .*)$", r"^\s*(run_\w+: .*)$", r"(\b\d+ mismatches.*)$",
            r"^E\s+(AssertionError.*\S.*|assert .*|\S*Error: .*)$", r"^E\s+(AssertionError.*)$", r"^(FAILED .*)$",
            r"(compilation failed.*)$", r"^(%Error.*)$", r"(\b\d+ of \d+ cocotb tests failed.*)$",
            r"^(\S+Error: .*)$"]
    for pat in pats:
        mm = re.search(pat, output, re.M)
        if mm:
            return mm.group(1).strip()[:160]
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    return lines[-1][:160] if lines else ""


# ---------------------------------------------------------------- reports

def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def _md_cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def render_md(report: dict, muts: list[dict]) -> str:
    res = report["results"]
    n = len(muts)
    counted = [m for m in muts if m["id"] in res]
    eq = [m for m in counted if m.get("equivalent")]
    non_eq = [m for m in counted if not m.get("equivalent")]
    killed = sum(res[m["id"]]["result"] == "killed" for m in non_eq)
    survived = [m["id"] for m in non_eq if res[m["id"]]["result"] == "survived"]
    errors = [m["id"] for m in counted if res[m["id"]]["result"] == "error"]
    lines = [
        "# Mutation suite (`make mutate`)", "",
        f"Mutants in `{report['mutants_file']}`: {n} ({len([m for m in muts if m.get('equivalent')])} marked equivalent). "
        f"Last run {report['finished']} ({report['selection']}), {report['seconds']:.0f} s including "
        f"{report['baseline_seconds']:.0f} s of baselines.", "",
        "Runs whose results are in this table: " + "; ".join(
            f"{r['finished']} ({r['selection']}, {r['seconds']:.0f} s)" for r in report.get("runs", [])[-5:]) + ".", "",
        f"**Non-equivalent mutants killed: {killed} of {len(non_eq)}**"
        + (f"; survived: {', '.join(survived)}" if survived else "")
        + (f"; errors: {', '.join(errors)}" if errors else "") + ".",
        "", "How results are judged: `docs/mutation.md`. Seconds = wall time of the check with the mutant "
        "(2-core machine). `how`: test failed / build failed (mutant does not compile) / timeout.", "",
        "| id | layer | description | check | result | how | seconds |",
        "|---|---|---|---|---|---|---:|",
    ]
    for m in muts:
        r = res.get(m["id"])
        if r is None:
            lines.append(f"| {m['id']} | {m['layer']} | {_md_cell(m['description'])} | `{m['check']}` | not run | | |")
            continue
        result = r["result"] + (" (equivalent)" if m.get("equivalent") else "")
        lines.append(f"| {m['id']} | {m['layer']} | {_md_cell(m['description'])} | `{_md_cell(m['check'])}` | "
                     f"**{result}** | {_md_cell(r.get('how', ''))} | {r.get('seconds', '')} |")
    if eq or any(m.get("equivalent") for m in muts):
        lines += ["", "## Equivalent mutants", ""]
        for m in muts:
            if m.get("equivalent"):
                lines.append(f"* `{m['id']}`: {m['equivalent']}")
    lines += ["", "## Baselines (unmutated checks)", "", "| check | result | seconds |", "|---|---|---:|"]
    for c, b in report["baselines"].items():
        lines.append(f"| `{_md_cell(c)}` | {_md_cell(b['status'])} | {b['seconds']} |")
    lines += ["", "## Why each mutant was killed (first failing line)", ""]
    for m in muts:
        r = res.get(m["id"])
        if r and r.get("reason"):
            lines.append(f"* `{m['id']}`: {_md_cell(r['reason'])}")
    return "\n".join(lines) + "\n"


def refresh(results: dict, allm: list[dict]) -> dict:
    """Keep earlier results only for mutants still in the file with the same file, texts and check;
    take description and ``equivalent`` from the current file."""
    by_id = {m["id"]: m for m in allm}
    out = {}
    for k, r in results.items():
        m = by_id.get(k)
        if m is None or r.get("check") != m["check"] or r.get("file") != m["file"]:
            continue
        out[k] = dict(r, description=m["description"], equivalent=m.get("equivalent"), layer=m["layer"])
    return out


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", help="mutant id(s), comma separated; repeatable")
    ap.add_argument("--layer", choices=LAYERS)
    ap.add_argument("--list", action="store_true", help="validate the mutants file (every old text found exactly "
                    "once in the tree) and list the mutants; run nothing")
    ap.add_argument("--mutants", default=None, help="mutants file (default REPO/mutation/mutants.toml)")
    ap.add_argument("--repo", default=str(REPO), help="tree to mutate (a copy of it; default: this repository)")
    ap.add_argument("--build", default=None, help="build directory whose models and exports are copied "
                    "(default REPO/build)")
    ap.add_argument("--reports", default=None, help="report directory (default REPO/reports)")
    ap.add_argument("--timeout-min", type=float, default=120.0, help="minimum per-check timeout, seconds")
    ap.add_argument("--report-only", action="store_true", help="rewrite reports/mutation.md from reports/"
                    "mutation.json with the current mutants file (descriptions, equivalence); run nothing")
    ap.add_argument("--keep-scratch", action="store_true", help="do not delete the scratch copy (debugging)")
    args = ap.parse_args(argv)
    repo = Path(args.repo).resolve()
    mfile = Path(args.mutants) if args.mutants else repo / "mutation" / "mutants.toml"
    build = Path(args.build).resolve() if args.build else repo / "build"
    reports = Path(args.reports) if args.reports else repo / "reports"
    try:
        allm = load_mutants(mfile)
        prepare = load_prepare(mfile)
        muts = select(allm, args.only, args.layer)
        if not args.list:
            # writability of the reports before the long work
            reports.mkdir(parents=True, exist_ok=True)
            probe = reports / f".mutation_probe{os.getpid()}"
            try:
                probe.write_text("")
                probe.unlink()
            except OSError as exc:
                raise SetupError(f"{reports}: not writable ({exc.strerror})") from None
    except SetupError as exc:
        print(f"mutate: {exc}", file=sys.stderr)
        return 2

    if args.report_only:
        jpath = reports / "mutation.json"
        try:
            report = json.loads(jpath.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            print(f"mutate: {jpath}: cannot read ({exc})", file=sys.stderr)
            return 2
        report["results"] = refresh(report.get("results", {}), allm)
        for r in report["results"].values():   # re-read the reason from the check's log, if kept
            if r.get("result") == "killed" and r.get("log") and Path(r["log"]).is_file():
                r["reason"] = reason(Path(r["log"]).read_text(errors="replace"))
        write_atomic(jpath, json.dumps(report, indent=1) + "\n")
        write_atomic(reports / "mutation.md", render_md(report, allm))
        res = report["results"]
        bad = [m["id"] for m in allm if not m.get("equivalent") and res.get(m["id"], {}).get("result") != "killed"]
        print(f"mutate: rewrote {reports / 'mutation.md'}; non-equivalent mutants not killed (or not run): "
              f"{', '.join(bad) if bad else 'none'}")
        return 1 if bad else 0

    if args.list:
        bad = 0
        for m in muts:
            p = repo / m["file"]
            n = p.read_text().count(m["old"]) if p.is_file() else -1
            status = "ok" if n == 1 else ("file not found" if n < 0 else f"old text occurs {n} times")
            bad += n != 1
            print(f"{m['id']:<28} {m['layer']:<6} {status:<24} {m['check']}")
        print(f"{len(muts)} mutants, {bad} not applicable")
        return 1 if bad else 0

    t_start = time.monotonic()
    scratch = make_scratch(repo, build)
    logdir = build / "mutation" / "logs"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(scratch / "model")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["L1OT_BUILD"] = str(scratch / "build")
    env["PYTHONDONTWRITEBYTECODE"] = "1"   # no stale bytecode between a mutant and its restore
    env.pop("L1OT_EXPORT_K32", None)
    env.pop("L1OT_EXPORT_K8", None)
    results: dict = {}
    baselines: dict = {}
    t_base = 0.0
    interrupted = False
    print(f"mutate: {len(muts)} mutants, scratch copy {scratch}, logs {logdir}", flush=True)
    if all(m["layer"] in NO_PREPARE for m in muts) and prepare:
        print(f"mutate: prepare skipped (only {', '.join(NO_PREPARE)} mutants selected)", flush=True)
        prepare = []
    try:
        # 0. prepare: bring the copy's exports up to date with the copy's sources
        for i, c in enumerate(prepare, 1):
            print(f"[prepare {i}/{len(prepare)}] {c} ...", end=" ", flush=True)
            r = run_check(c, scratch, env, timeout=3600, log=logdir / f"prepare_{i:02d}.log")
            print(f"{'ok' if r['rc'] == 0 else 'FAILED'} ({r['seconds']} s)", flush=True)
            if r["rc"] != 0 or r["timeout"]:
                raise SetupError(f"prepare step '{c}' failed ({reason(r['output'])}), see {logdir / f'prepare_{i:02d}.log'}")
        # 1. baselines
        checks = list(dict.fromkeys(m["check"] for m in muts))
        for i, c in enumerate(checks, 1):
            print(f"[baseline {i}/{len(checks)}] {c} ...", end=" ", flush=True)
            r = run_check(c, scratch, env, timeout=3600, log=logdir / f"baseline_{i:02d}.log")
            ok, why = baseline_ok(c, r)
            baselines[c] = {"ok": ok, "status": why, "seconds": r["seconds"], "log": str(logdir / f"baseline_{i:02d}.log")}
            print(f"{'ok' if ok else 'FAILED: ' + why} ({r['seconds']} s)", flush=True)
        t_base = time.monotonic() - t_start
        # 2. mutants
        for i, m in enumerate(muts, 1):
            tag = f"[{i}/{len(muts)}] {m['id']}"
            print(f"{tag} ({m['layer']}) ...", end=" ", flush=True)
            b = baselines[m["check"]]
            rec = {"layer": m["layer"], "file": m["file"], "check": m["check"], "description": m["description"],
                   "equivalent": m.get("equivalent"), "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            if not b["ok"]:
                rec.update(result="error", how="baseline failed", reason=b["status"], seconds=0)
            else:
                try:
                    orig = apply_mutant(scratch, m)
                except ValueError as exc:
                    rec.update(result="error", how="not applied", reason=str(exc), seconds=0)
                else:
                    try:
                        timeout = max(args.timeout_min, 4 * b["seconds"])
                        r = run_check(m["check"], scratch, env, timeout=timeout, log=logdir / f"{m['id']}.log")
                    finally:
                        restore(scratch, m, orig)
                    result, how = judge(m["check"], r)
                    rec.update(result=result, how=how, seconds=r["seconds"], log=str(logdir / f"{m['id']}.log"),
                               reason=reason(r["output"]) if result != "survived" else "")
            results[m["id"]] = rec
            note = f"{rec['result']}" + (f" ({rec['how']})" if rec.get("how") else "")
            if m.get("equivalent"):
                note += " [equivalent]"
            print(f"{note} ({rec['seconds']} s)", flush=True)
    except SetupError as exc:
        print(f"\nmutate: {exc}", file=sys.stderr)
        interrupted = 2
    except KeyboardInterrupt:
        interrupted = True
        print("\nmutate: interrupted; the scratch copy is removed, your tree was never modified; "
              "the report lists the mutants finished so far", file=sys.stderr)
    finally:
        if args.keep_scratch:
            print(f"mutate: scratch copy kept at {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if interrupted == 2 or (interrupted and not results):
        return 2 if interrupted == 2 else 130
    elapsed = time.monotonic() - t_start

    # 3. reports (merge with earlier results of mutants outside this selection)
    jpath = reports / "mutation.json"
    old = {}
    if jpath.is_file():
        try:
            old = json.loads(jpath.read_text()).get("results", {})
        except (json.JSONDecodeError, AttributeError):
            old = {}
    merged = refresh({k: v for k, v in old.items() if k not in results}, allm)
    merged.update(results)
    sel = "all mutants" if len(muts) == len(allm) else f"{len(muts)} of {len(allm)} mutants"
    if interrupted:
        sel += f", interrupted after {len(results)}"
    old_runs, old_base = [], {}
    if jpath.is_file():
        try:
            old_json = json.loads(jpath.read_text())
            old_runs, old_base = old_json.get("runs", []), old_json.get("baselines", {})
        except (json.JSONDecodeError, AttributeError):
            old_runs, old_base = [], {}
    # baselines of the checks of the kept rows stay in the report beside this run's
    used = {m["check"] for m in allm if m["id"] in merged}
    baselines = {**{c: b for c, b in old_base.items() if c in used and c not in baselines}, **baselines}
    report = {"mutants_file": str(mfile.relative_to(repo)) if mfile.is_relative_to(repo) else str(mfile),
              "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "selection": sel,
              "seconds": round(elapsed, 1), "baseline_seconds": round(t_base, 1),
              "baselines": baselines, "results": merged}
    report["runs"] = (old_runs + [{k: report[k] for k in ("finished", "selection", "seconds", "baseline_seconds")}])[-20:]
    write_atomic(jpath, json.dumps(report, indent=1) + "\n")
    write_atomic(reports / "mutation.md", render_md(report, allm))

    bad_surv = [k for k, r in results.items() if r["result"] == "survived" and not r.get("equivalent")]
    errors = [k for k, r in results.items() if r["result"] == "error"]
    eq_killed = [k for k, r in results.items() if r["result"] == "killed" and r.get("equivalent")]
    n_ne = sum(1 for r in results.values() if not r.get("equivalent"))
    n_k = sum(1 for r in results.values() if not r.get("equivalent") and r["result"] == "killed")
    print(f"mutate: {n_k} of {n_ne} non-equivalent mutants killed in {elapsed:.0f} s"
          + (f"; SURVIVED: {', '.join(bad_surv)}" if bad_surv else "")
          + (f"; ERRORS: {', '.join(errors)}" if errors else "")
          + (f"; marked equivalent but killed (check the reason): {', '.join(eq_killed)}" if eq_killed else ""))
    print(f"mutate: wrote {reports / 'mutation.md'} and {jpath}")
    if interrupted:
        return 130
    return 1 if (bad_surv or errors) else 0


if __name__ == "__main__":
    sys.exit(main())
