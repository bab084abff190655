"""scripts/studies/leakage_study.py on the first events of the bundled sample (simulated, not CMS):
the background cut falls on a group boundary, the group-respecting split never puts a test
event's sibling in the reference set, and the event-level split of the same events does."""
from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

from conftest import bundled, requires_bundled
from l1ot.io import data

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _script():
    spec = importlib.util.spec_from_file_location("leakage_study", os.path.join(REPO, "scripts", "studies", "leakage_study.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@requires_bundled
def test_group_split_never_leaks_and_event_split_does():
    mod = _script()
    groups, stored = data.load_groups(bundled())
    assert stored
    g = groups[:3000]
    leaked = {"event": 0, "group": 0}
    for seed in range(5):
        for mode, fn in (("event", mod.event_split), ("group", mod.group_split)):
            te, ref = fn(np.random.default_rng(seed), g, 500, 2000)
            assert len(te) == 500 and len(ref) == 2000 and not set(te) & set(ref)
            leaked[mode] += len(set(g[te]) & set(g[ref]))
    assert leaked["group"] == 0
    assert leaked["event"] > 0


@requires_bundled
def test_small_run_cuts_on_a_group_boundary(tmp_path):
    mod = _script()
    groups, _ = data.load_groups(bundled())
    n = next(i for i in range(200, len(groups)) if groups[i] == groups[i - 1])   # inside a group
    out = str(tmp_path / "leak")
    assert mod.main(["--data", os.path.dirname(bundled()), "--n-background", str(n), "--n-signal", "20",
                     "--n-test", "40", "--n-ref", "80", "--reps", "2", "--k", "4", "--out", out]) == 0
    rep = json.load(open(out + ".json"))
    assert rep["n_background"] < n                    # the split group is dropped
    assert groups[rep["n_background"]] != groups[rep["n_background"] - 1]
    assert rep["n_signal"] == {s: 20 for s in ("A", "h0", "hpm", "LQ")}
    assert rep["test_with_sibling_in_ref"]["group"] == 0.0
    md = open(out + ".md").read()
    assert "simulated, not CMS" in md and f"--n-background {n}" in md


@requires_bundled
def test_too_few_events_is_one_line(tmp_path):
    mod = _script()
    with pytest.raises(SystemExit, match="exceeds the"):
        mod.main(["--data", os.path.dirname(bundled()), "--n-background", "100", "--n-test", "80",
                  "--n-ref", "80", "--out", str(tmp_path / "x")])


@requires_bundled
@pytest.mark.parametrize("opt", ["--n-background", "--n-signal", "--n-test"])
def test_non_positive_sizes_are_refused(tmp_path, capsys, opt):
    mod = _script()
    with pytest.raises(SystemExit) as e:
        mod.main(["--data", os.path.dirname(bundled()), opt, "0", "--out", str(tmp_path / "x")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith(f"argument {opt}: must be >= 1, got 0")
