"""No command writes where the user did not point it.

A run given a scratch ``--report`` / ``-o`` must leave ``./reports`` (the folder the
committed reports live in, relative to the working folder like every default)
byte-identical: derived outputs (figures, curve stores, side reports) default to
the folder of the report. Each test runs in a temporary working folder that holds
a ``reports/`` with sentinel files, so a regression cannot touch the real one.
"""
from __future__ import annotations

import hashlib
import os

import pytest

from l1ot.cli import main
from l1ot.evaluation import evaluate
from l1ot.io import data
from fixtures import toy_events


def _snapshot(root) -> dict:
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            if os.path.isdir(p):
                out[rel] = "dir"
            else:
                with open(p, "rb") as f:
                    out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working folder with ``reports/`` holding committed-looking files."""
    rep = tmp_path / "reports"
    rep.mkdir()
    for name in ("evaluation.json", "roc_paper1.png", "rejection_paper1.pdf", "si_paper1.png",
                 "multiscale_toy.png", "multiscale_toy.json"):
        (rep / name).write_bytes(f"committed {name}\n".encode())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_evaluate_scratch_report_leaves_reports_identical(workdir, capsys):
    d = workdir / "sample"
    d.mkdir()
    data.write_events(d / evaluate.BACKGROUND, toy_events(300, seed=1, pt_scale=20))
    data.write_events(d / evaluate.SIGNALS["A"], toy_events(60, seed=2, pt_scale=40))
    before = _snapshot(workdir / "reports")
    code = main(["evaluate", "--data", "sample", "--methods", "total_pt", "--signals", "A", "--n-sets", "1",
                 "--n-per-set", "20", "--n-calib", "20", "--report", "scratch/scratch.json"])
    out = capsys.readouterr().out
    assert code == 0
    assert _snapshot(workdir / "reports") == before
    # the figures and the curve store went beside the report
    for name in ("scratch.json", "scratch_curves.npz", "roc_paper1.png", "rejection_paper1.pdf",
                 "si_paper1.png"):
        assert (workdir / "scratch" / name).is_file(), name
    assert "figures: scratch/roc_paper1.png" in out, out
    # a report in the working folder: the figures go to the working folder, not reports/
    assert main(["evaluate", "--data", "sample", "--methods", "total_pt", "--signals", "A", "--n-sets", "1",
                 "--n-per-set", "20", "--n-calib", "20", "--report", "here.json"]) == 0
    assert _snapshot(workdir / "reports") == before
    assert (workdir / "roc_paper1.png").is_file()


def test_multiscale_toy_figure_goes_beside_its_report(workdir, capsys):
    before = _snapshot(workdir / "reports")
    assert main(["multiscale", "toy", "-o", "scratch/toy.json"]) == 0
    assert _snapshot(workdir / "reports") == before
    for ext in ("json", "png", "pdf"):
        assert (workdir / "scratch" / f"toy.{ext}").is_file(), ext


def test_demo_points_every_report_at_its_out_folder(tmp_path, monkeypatch):
    """`make demo` (scripts/demo.py) gives every step an output under BUILD/demo and writes its
    summary there: no step is left on a default that lands in the committed reports/."""
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("l1ot_demo_script", os.path.join(REPO, "scripts", "demo.py"))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    cmds = []

    def fake_step(title, cmd, log):
        cmds.append(cmd)
        log.append({"step": title, "cmd": " ".join(cmd), "rc": 0, "seconds": 0.0})
        return 0

    monkeypatch.setattr(demo, "step", fake_step)
    monkeypatch.setattr(demo, "python_bitexact", lambda build, data, ks: (0, 0))
    build = str(tmp_path / "b")
    assert demo.main(["--build", build]) == 0
    out = os.path.join(build, "demo")
    assert os.path.isfile(os.path.join(out, "demo_summary.md"))
    by_script = {next((a for a in c if a.endswith(".py") or a == "evaluate"), c[0]): c for c in cmds}
    for key, flag in (("evaluate", "--report"), ("evaluate", "--table"), ("hls/run_csim.py", "--report"),
                      ("testbench/run_cosim.py", "--report"), ("firmware/synth/run_yosys.py", "--report")):
        c = by_script[key]
        assert flag in c and c[c.index(flag) + 1].startswith(out + os.sep), (key, flag, c)
    assert not any("reports" in a.split(os.sep) for c in cmds for a in c), cmds
