"""A generated smoke sample (Pythia, QCD re-hadronised) stores ``parton_event`` groups with
several members; the splits keep every group on one side and the commands read the files."""
from __future__ import annotations

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

pytest.importorskip("pythia8mc")
pytest.importorskip("fastjet")

from l1ot.io import data  # noqa: E402
from l1ot.io.splits import Splits, group_overlap  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BKG = "background_for_training.h5"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke")
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "make_dataset.py"), "--smoke",
                        "--jobs", "1", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def test_groups_stored_unique_and_contiguous(smoke):
    path = smoke / BKG
    g, stored = data.load_groups(path)
    assert stored and g.dtype == np.int64 and g.shape == (data.count(path),)
    with h5py.File(path) as f:
        pid = f["process_id"][()]
        assert "SIMULATED" in f.attrs["statement"] and "parton_event" in f.attrs
    _, counts = np.unique(g, return_counts=True)
    assert counts.max() > 1                           # re-hadronised QCD: groups with siblings
    assert np.all(pid[np.isin(g, g[np.r_[False, g[1:] == g[:-1]]])] == 1)   # only QCD has siblings
    # members adjacent: the number of runs equals the number of groups
    assert 1 + np.count_nonzero(g[1:] != g[:-1]) == len(counts)
    # signals carry ids too, unique across files
    sig = [data.load_groups(smoke / f)[0] for f in os.listdir(smoke) if f != BKG and f.endswith(".h5")]
    allg = np.concatenate([g] + sig)
    assert len(sig) == 4 and len(np.unique(np.concatenate([np.unique(x) for x in [g] + sig]))) == \
        sum(len(np.unique(x)) for x in [g] + sig) and allg.size > 0


def test_no_group_on_both_sides_where_an_event_split_would_leak(smoke):
    path = smoke / BKG
    g, _ = data.load_groups(path)
    n = len(g)
    # put the test-block boundary between two siblings: the per-event split leaks there
    second = [i for i in range(6, n) if g[i] == g[i - 1]]
    assert second, "no sibling pair away from the start of the file"
    i = second[0]
    s = Splits(n_sets=1, n_per_set=n - i, n_calib=2)
    assert group_overlap(g, s.background(n)) >= 1
    r = Splits(n_sets=1, n_per_set=n - i, n_calib=2).background_file(path)
    assert group_overlap(g, r) == 0
    assert r["test"] == (i, n)


def test_commands_read_the_new_datasets(smoke, tmp_path):
    from l1ot.cli import main

    assert main(["inspect", str(smoke / BKG)]) == 0
    rc = main(["evaluate", "--data", str(smoke), "--methods", "total_pt,met,multiplicity,3d_ot",
               "--n-sets", "1", "--n-per-set", "8", "--n-calib", "2", "--n-ref", "20", "--jobs", "1",
               "--report", str(tmp_path / "ev.json"), "--figures", str(tmp_path / "fig"),
               "--table", str(tmp_path / "t.md")])
    assert rc == 0 and (tmp_path / "ev.json").exists()


@pytest.mark.parametrize("argv,name", [(["--pileup", "-1"], "--pileup"), (["--pileup", "nan"], "--pileup"),
                                       (["--only", "zz"], "--only")])
def test_make_dataset_bad_options_one_line(tmp_path, argv, name):
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "make_dataset.py"), "--smoke",
                        "--out", str(tmp_path / "o")] + argv, capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    err = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert len(err) == 1 and name in err[0]
    assert not (tmp_path / "o").exists()
