"""Report writes take a lock: two writers extending one report at the same time both land.

Each test starts writer A, which takes the report (``Transaction.update`` or
``fw_report.update``) and holds it for HOLD seconds before writing; writer B starts
once A is inside and writes at once. Without the lock B reads the old report,
writes first, and A's later rename drops B's row; with it B waits for A. The
checks: both rows are in the final report, and B entered only after A had left.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "testbench"))
import fw_report  # noqa: E402

HOLD = 2.0
CTX = multiprocessing.get_context("spawn")   # not fork: JAX (loaded by other tests) is multithreaded
SETTINGS = {"n_sets": 1, "n_per_set": 10, "n_calib": 0, "seed": 0, "n_ref": None, "n_train": None}


def _evaluation_writer(path, method, hold, entered, times):
    from l1ot import outputs
    from l1ot.evaluation import report

    with outputs.Transaction() as tx:
        tmp = tx.update(path)
        times[f"{method}_in"] = time.time()
        entered.set()
        time.sleep(hold)
        report.write({method: {"A": {"auc": [0.5, 0.0]}}}, tmp, SETTINGS, command="test")
    times[f"{method}_out"] = time.time()


def _firmware_writer(path, key, hold, entered, times):
    def change(data):
        times[f"{key}_in"] = time.time()
        entered.set()
        time.sleep(hold)
        data[key] = {}

    fw_report.update(change, path)
    times[f"{key}_out"] = time.time()


def _race(writer, path, a, b):
    with CTX.Manager() as mgr:
        times = mgr.dict()
        ea, eb = CTX.Event(), CTX.Event()
        pa = CTX.Process(target=writer, args=(path, a, HOLD, ea, times), daemon=True)
        pa.start()
        assert ea.wait(60), "writer A never started"
        pb = CTX.Process(target=writer, args=(path, b, 0.0, eb, times), daemon=True)
        pb.start()
        for p in (pa, pb):
            p.join(60)
            assert p.exitcode == 0, p.exitcode
        return dict(times)


def test_two_concurrent_evaluation_report_writers_both_land(tmp_path):
    path = str(tmp_path / "evaluation.json")
    t = _race(_evaluation_writer, path, "row_a", "row_b")
    rep = json.loads(open(path).read())
    assert {"row_a", "row_b"} <= set(rep), sorted(rep)
    assert set(rep["_meta"]["rows"]) == {"row_a", "row_b"}
    assert t["row_b_in"] >= t["row_a_out"] - 0.05, t   # B waited for A's rename
    assert sorted(os.listdir(tmp_path)) == ["evaluation.json"]  # no lock file, no temporary left


def test_two_concurrent_firmware_report_writers_both_land(tmp_path):
    path = tmp_path / "firmware.json"
    t = _race(_firmware_writer, path, "cosim", "synth")
    data = json.loads(path.read_text())
    assert "cosim" in data and "synth" in data, sorted(data)
    assert t["synth_in"] >= t["cosim_out"] - 0.05, t
    assert sorted(os.listdir(tmp_path)) == ["firmware.json", "firmware.md"]


def _lock_is_free(folder) -> bool:
    """Whether another open file description can take the folder's lock now (non-blocking)."""
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_lock_held_from_update_to_commit_and_released_after_failure(tmp_path):
    """The lock is held from ``update`` to the rename and released by commit and by a failure
    (else the next writer would wait forever)."""
    from l1ot import outputs

    path = tmp_path / "r.json"
    path.write_text("{}")
    assert _lock_is_free(tmp_path)
    with outputs.Transaction() as tx:
        tmp = tx.update(path)
        assert not _lock_is_free(tmp_path)
        with open(tmp, "w") as f:
            f.write('{"x": 1}')
    assert _lock_is_free(tmp_path) and json.loads(path.read_text()) == {"x": 1}
    try:
        with outputs.Transaction() as tx:
            tx.update(path)
            assert not _lock_is_free(tmp_path)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert _lock_is_free(tmp_path)
    assert json.loads(path.read_text()) == {"x": 1}  # the failed writer changed nothing
    with outputs.locked(path):
        assert not _lock_is_free(tmp_path)
    assert _lock_is_free(tmp_path)
