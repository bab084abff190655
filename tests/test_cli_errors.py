"""Every `l1ot` command on every bad-input class of docs/errors.md (table: tests/cli_error_cases.py).

Each row runs ``l1ot.cli.main(argv)`` in-process in a folder of small inputs cut
from the bundled sample and asserts the documented exit code, one error line
naming the file (or argument) and no traceback, and that every file of the
folder -- inputs and would-be outputs -- is byte-identical afterwards with
nothing added. Valid rows check that the output discipline leaves normal runs
working. ``python scripts/cli_errors_report.py`` prints the totals.
"""
from __future__ import annotations

import os
import shutil

import pytest

from conftest import requires_bundled
import cli_error_cases as T


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("cli_errors") / "env")
    T.build_env(root)
    yield root
    T.release_env(root)


@requires_bundled
@pytest.mark.parametrize("case", [c for c in T.CASES if c.bad], ids=lambda c: c.id)
def test_bad_input(case, env):
    r = T.run_case(case, env)
    assert not r.problems, f"{r.problems}\nstdout: {r.out[-2000:]}\nstderr: {r.err[-2000:]}"


@requires_bundled
@pytest.mark.filterwarnings("ignore:could not construct an input equidistant")  # k = 4 toy model
@pytest.mark.parametrize("case", [c for c in T.CASES if not c.bad], ids=lambda c: c.id)
def test_valid_run(case, env, tmp_path):
    root = str(tmp_path / "env")
    shutil.copytree(env, root, symlinks=True)
    try:
        r = T.run_case(case, root)
        assert not r.problems, f"{r.problems}\nstdout: {r.out[-2000:]}\nstderr: {r.err[-2000:]}"
    finally:
        T.release_env(root)


def test_progress_visible_on_a_terminal_without_size(tmp_path):
    """A fresh pseudo-terminal reports 0 columns and 0 rows; the bar must still be drawn."""
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    code = ("import time\nfrom l1ot.progress import bar\n"
            "for i in bar(range(3), total=3, desc='work'):\n    time.sleep(0.01)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave, env=env)
    p.wait(timeout=60)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert p.returncode == 0
    assert b"work: 100%" in out and b"3/3" in out, out


def test_config_error_in_an_argument_type_is_one_line(monkeypatch, capsys):
    """A ConfigError raised inside an argparse type function does not escape main."""
    from l1ot.cli import main
    from l1ot.commands import _args
    from l1ot.errors import ConfigError

    def window(text):
        raise ConfigError(f"window {text!r} refused")

    monkeypatch.setattr(_args, "window", window)
    assert main(["methods", "knn", "--planed-lo", "5,1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().count("\n") == 0 and "window '5,1' refused" in err


def test_chunk_writer_is_complete_or_absent(tmp_path):
    import h5py
    import numpy as np

    from l1ot.io import data
    from fixtures import toy_events

    p = tmp_path / "w.h5"
    with data.ChunkWriter(p) as w:
        w.append(toy_events(20, seed=1))
        w.append(toy_events(5, seed=2))
    with h5py.File(p) as f:
        assert f.attrs["complete"] and f.attrs["n_events"] == 25 == f["Particles"].shape[0]
    bad = toy_events(5, seed=3)
    bad[2, 0, 0] = np.nan
    q = tmp_path / "v.h5"
    with pytest.raises(Exception, match="event 22"):
        with data.ChunkWriter(q) as w:
            w.append(toy_events(20, seed=1))
            w.append(bad)
    assert sorted(os.listdir(tmp_path)) == ["w.h5"]
