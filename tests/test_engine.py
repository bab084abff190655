"""The Dask engine (l1ot.engine): same outputs as the single-process path, and safe when a worker dies.

A LocalCluster with 2 worker processes on 127.0.0.1 is started inside the tests;
``l1ot score``, ``l1ot evaluate`` and ``l1ot methods`` run on it through
``--scheduler`` and are compared with the default engine (this process). Data:
the bundled sample (simulated, not CMS) and synthetic fixture events.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time

import h5py
import numpy as np
import pytest

from conftest import bundled
from fixtures import toy_events
from l1ot import engine
from l1ot.cli import main
from l1ot.evaluation import evaluate
from l1ot.io import data

distributed = pytest.importorskip("distributed")

MODEL_K = 8


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as c, Client(c) as client:
        yield c, client


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "model.h5"
    assert main(["train", bundled(), "--k", str(MODEL_K), "--n", "3000", "-o", str(out)]) == 0
    return str(out)


def read(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in f}, dict(f.attrs)


def test_partitions_cover_the_range_on_chunk_boundaries():
    parts = engine.partitions(0, 10_050, 3_000, align=1_000)
    assert parts == [(0, 3000), (3000, 6000), (6000, 9000), (9000, 10050)]
    parts = engine.partitions(0, 10, 3, align=4)
    assert parts == [(0, 4), (4, 8), (8, 10)]
    assert engine.partitions(0, 0, 5) == []
    with pytest.raises(ValueError):
        engine.partitions(0, 10, 0)


@pytest.mark.parametrize("fixed", [False, True])
def test_score_on_cluster_equals_single_process(cluster, model, tmp_path, fixed):
    c, _ = cluster
    extra = ["--fixed", "--threshold", "300"] if fixed else []
    one, dsk = str(tmp_path / "one.h5"), str(tmp_path / "dask.h5")
    assert main(["score", model, bundled(), "-o", one, "--workers", "1", "--chunk-size", "2000"] + extra) == 0
    assert main(["score", model, bundled(), "-o", dsk, "--scheduler", c.scheduler_address,
                 "--chunk-size", "2000", "--partition-size", "3000"] + extra) == 0
    a, aa = read(one)
    b, ba = read(dsk)
    assert set(a) == set(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        if fixed or a[k].dtype.kind in "iu":
            assert a[k].tobytes() == b[k].tobytes(), k
        else:
            np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-12)
    assert len(a["score"]) == data.count(bundled())
    assert {k: str(v) for k, v in aa.items()} == {k: str(v) for k, v in ba.items()}
    assert ba["complete"] and ba["n_events"] == len(a["score"])
    if fixed:
        assert 0 < aa["n_trig"] < len(a["score"])


def test_score_on_cluster_bad_events(cluster, model, tmp_path, capsys):
    c, _ = cluster
    p = data.load(bundled(), n=5000)
    p[1234, 2, 1] = np.nan
    p[4321, 0, 0] = -3.0
    bad = tmp_path / "bad.h5"
    data.write_events(bad, p, validate_first=False)
    # skip: the same kept events and counts as in this process
    one, dsk = str(tmp_path / "one.h5"), str(tmp_path / "dask.h5")
    common = ["--fixed", "--on-bad-event", "skip", "--chunk-size", "500"]
    assert main(["score", model, str(bad), "-o", one, "--workers", "1"] + common) == 0
    assert main(["score", model, str(bad), "-o", dsk, "--scheduler", c.scheduler_address,
                 "--partition-size", "1000"] + common) == 0
    a, aa = read(one)
    b, ba = read(dsk)
    assert aa["skipped_events"] == ba["skipped_events"] == 2
    assert 1234 not in b["event"] and 4321 not in b["event"]
    for k in a:
        assert a[k].tobytes() == b[k].tobytes(), k
    # fail: the worker's one-line error, exit 2, no output
    capsys.readouterr()
    out = tmp_path / "fail.h5"
    assert main(["score", model, str(bad), "-o", str(out), "--scheduler", c.scheduler_address,
                 "--partition-size", "1000", "--chunk-size", "500"]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("l1ot")]  # (not the bar)
    assert len(err) == 1 and err[0].startswith("l1ot score: error: file ")
    assert "event 1234, slot 2, field eta: value is NaN or inf" in err[0]
    assert not out.exists()
    assert not [q for q in os.listdir(tmp_path) if q.startswith(".")]  # no temp file left


def test_unreachable_scheduler_is_one_line(model, tmp_path, capsys):
    out = tmp_path / "x.h5"
    assert main(["score", model, bundled(), "-o", str(out), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("l1ot")]
    assert len(err) == 1 and "cannot connect to the Dask scheduler tcp://127.0.0.1:9" in err[0]
    assert not out.exists()


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("toy")
    data.write_events(d / evaluate.BACKGROUND, toy_events(500, seed=1, pt_scale=20))
    for i, (sig, fname) in enumerate(evaluate.SIGNALS.items()):
        data.write_events(d / fname, toy_events(80, seed=10 + i, pt_scale=20 + 15 * i, fill=0.5 + 0.1 * i))
    return d


def test_evaluate_exact_w2_on_cluster_equals_default(cluster, toy_dir, tmp_path):
    c, _ = cluster
    common = ["evaluate", "--data", str(toy_dir), "--methods", "3d_ot", "--signals", "A,LQ", "--n-sets", "2",
              "--n-per-set", "30", "--n-calib", "50", "--n-ref", "40", "--figures", ""]
    assert main(common + ["--jobs", "1", "--report", str(tmp_path / "one.json")]) == 0
    assert main(common + ["--scheduler", c.scheduler_address, "--report", str(tmp_path / "dask.json")]) == 0
    a = json.loads((tmp_path / "one.json").read_text())["3d_ot"]
    b = json.loads((tmp_path / "dask.json").read_text())["3d_ot"]
    assert a == b


def test_methods_distance_matrices_on_cluster_equal_default(cluster):
    """The exact-W2 matrices of `l1ot methods` (distcache.distance_matrix, joblib inside) run on
    the cluster through Engine.joblib, as `l1ot methods --scheduler` does: equal to one process."""
    from l1ot.ot import distcache

    c, _ = cluster
    a = data.load(bundled(), n=60)
    b = data.load(bundled(), n=45, start=1000)
    ref_sym = distcache.distance_matrix(a, n_jobs=1, cache_dir=None)
    ref = distcache.distance_matrix(a, b, space="2d", n_jobs=1, cache_dir=None)
    with engine.Engine(scheduler=c.scheduler_address, progress=False) as eng, eng.joblib(1) as n_jobs:
        assert n_jobs == 2
        d_sym = distcache.distance_matrix(a, n_jobs=n_jobs, cache_dir=None)
        d = distcache.distance_matrix(a, b, space="2d", n_jobs=n_jobs, cache_dir=None)
    np.testing.assert_allclose(d_sym, ref_sym, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d, ref, rtol=0, atol=1e-12)
    assert ref.shape == (60, 45) and (ref > 0).all()


def test_methods_cli_on_cluster_equals_default(cluster, tmp_path, repo):
    c, _ = cluster
    common = ["methods", "knn", "--data", os.path.join(repo, "data"), "--signals", "A", "--n-sets", "1",
              "--n-per-set", "200", "--distance", "linw2", "--no-progress"]
    assert main(common + ["--jobs", "1", "--report", str(tmp_path / "one" / "r.json"),
                          "--cache-dir", str(tmp_path / "c1")]) == 0
    assert main(common + ["--scheduler", c.scheduler_address, "--report", str(tmp_path / "dask" / "r.json"),
                          "--cache-dir", str(tmp_path / "c2")]) == 0
    a = json.loads((tmp_path / "one" / "r.json").read_text())
    b = json.loads((tmp_path / "dask" / "r.json").read_text())
    # rows equal; the metadata differs only in what it must (write time and seconds per row)
    assert a["_meta"]["settings"] == b["_meta"]["settings"]
    a.pop("_meta"), b.pop("_meta")
    assert a == b and a


@pytest.mark.parametrize("allowed_failures", [3, 0])
def test_worker_killed_mid_job_never_corrupts_the_output(model, tmp_path, allowed_failures, capsys):
    """Kill one of 2 workers while `score --fixed` runs 60 partitions on them. With the default
    allowed failures the scheduler re-runs its partitions: the output equals the single-process
    one. With 0 allowed failures the job stops: one line, exit 2, no output file. Never a
    partial or wrong file."""
    import dask
    from distributed import Client, LocalCluster

    ref = str(tmp_path / "ref.h5")
    args = ["--fixed", "--chunk-size", "500"]
    assert main(["score", model, bundled(), "-o", ref, "--workers", "1"] + args) == 0
    out = tmp_path / "out.h5"
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=":0") as c, Client(c) as client:
        pids = client.run(os.getpid)
        killed = threading.Event()
        done = threading.Event()

        def killer():
            t0 = time.monotonic()
            # wait until the job's partitions run on a worker, then kill that worker
            while time.monotonic() - t0 < 120 and not done.is_set():
                busy = [a for a, keys in client.processing().items() if any("score_range" in k for k in keys)]
                if busy and not done.is_set():
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.set()
                    return
                time.sleep(0.01)

        th = threading.Thread(target=killer, daemon=True)
        th.start()
        code = main(["score", model, bundled(), "-o", str(out), "--scheduler", c.scheduler_address,
                     "--partition-size", "500"] + args)
        done.set()
        th.join(10)
    assert killed.is_set(), "the worker was not killed while the job ran"
    if allowed_failures:
        assert code == 0
        a, aa = read(ref)
        b, ba = read(str(out))
        for k in a:
            assert a[k].tobytes() == b[k].tobytes(), k
        assert ba["complete"] and ba["n_events"] == len(a["score"])
    else:
        assert code == 2 and not out.exists()
        err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("l1ot")]
        assert len(err) == 1 and "a worker died while running it, once" in err[0], err
        assert err[0].startswith("l1ot score: error: events ") and "nothing written" in err[0], err
    assert not [q for q in os.listdir(tmp_path) if q.startswith(".")]
