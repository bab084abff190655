"""Golden vectors, l1ot calibrate and l1ot export on a small synthetic model."""
from __future__ import annotations

import hashlib
import json
import re

import h5py
import numpy as np
import pytest
from bitstring import Bits

from fixtures import check_boundary_categories, toy_events
from l1ot.io import data
from l1ot.export import golden as export
from l1ot.export.boundary import boundary_events
from l1ot.export.vectorfile import read_golden
from l1ot.kernel import fixed
from l1ot.ot import linot
from l1ot.cli import main as cli
from l1ot.commands.calibrate import threshold_for_efficiency
from l1ot.errors import DataError

N_BKG = 10_400  # > n_calib + n_test of l1ot.io.splits


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    ddir = d / "data"
    ddir.mkdir()
    bkg = ddir / "background_for_training.h5"
    data.write_events(str(bkg), toy_events(N_BKG, seed=101))
    data.write_events(str(ddir / "Ato4l_lepFilter_13TeV.h5"), toy_events(600, seed=102, pt_scale=80.0))
    ev = data.load(str(bkg), n=300)
    model = linot.train(ev, k=6, transport="sorted", provenance={"train_start": 0})
    mpath = d / "model_k6.h5"
    model.save(str(mpath))
    assert cli(["calibrate", str(mpath), "--bkg-eff", "0.02", "--data", str(bkg)]) == 0
    out = d / "out"
    assert cli(["export", "--model", str(mpath), "--out", str(out), "--data", str(ddir)]) == 0
    return {"dir": d, "model": mpath, "bkg": bkg, "out": out, "golden": out / "golden.txt"}


def test_threshold_for_efficiency_by_hand():
    s = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert threshold_for_efficiency(s, 0.2, 100) == (8, 0.2)     # 8 and 9 pass
    assert threshold_for_efficiency(s, 0.25, 100) == (8, 0.2)    # cannot pass 2.5 events
    assert threshold_for_efficiency(s, 0.05, 100) == (10, 0.0)
    assert threshold_for_efficiency(np.array([5, 5, 5, 5]), 0.5, 100) == (6, 0.0)  # ties: all or none
    assert threshold_for_efficiency(np.array([7, 7, 7]), 0.1, 7) == (7, 1.0)       # saturated


def test_calibration_written_to_model(built):
    with h5py.File(built["model"], "r") as f:
        thr = int(f.attrs["threshold"])
        assert float(f.attrs["threshold_bkg_eff"]) == 0.02
        assert f.attrs["threshold_config_sha256"] == fixed.KernelConfig.load().sha256
    # recompute on the calibration block (events not used in training)
    cfg = fixed.KernelConfig.load()
    ev = data.load(str(built["bkg"]), n=5000, start=N_BKG - 10_000)
    res, _ = fixed.run_events(ev, fixed.medoid_rom(str(built["model"]), cfg), thr, cfg)
    assert res.trig.mean() <= 0.02
    res2, _ = fixed.run_events(ev, fixed.medoid_rom(str(built["model"]), cfg), thr - 1, cfg)
    assert res2.trig.mean() > 0.02


def test_model_file_calibration_and_training_attributes(built):
    """docs/model_file.md: threshold_calibration (JSON) and train_start, recomputed here."""
    with h5py.File(built["model"], "r") as f:
        cal = json.loads(f.attrs["threshold_calibration"])
        thr, start = int(f.attrs["threshold"]), int(f.attrs["train_start"])
        idx = f["medoid_train_index"][()]
        med = f["medoid_events"][()]
    assert set(cal) == {"achieved_bkg_eff", "calib_file", "calib_events", "n_events"}
    a, b = cal["calib_events"]
    assert b - a == cal["n_events"] == 5000 and cal["calib_file"] == str(built["bkg"])
    cfg = fixed.KernelConfig.load()
    ev = data.load(str(built["bkg"]), n=b - a, start=a)
    res, _ = fixed.run_events(ev, fixed.medoid_rom(str(built["model"]), cfg), thr, cfg)
    assert cal["achieved_bkg_eff"] == res.trig.mean()
    # medoids are the training events train_start + medoid_train_index
    assert start == 0
    np.testing.assert_array_equal(med, data.load(str(built["bkg"]), n=300)[start + idx])


def test_kernel_uses_the_config_axis_weights_not_the_model_files(built):
    """The ROM comes from the medoid events with the config's weights; the model's weights do not enter."""
    model = linot.LinModel.load(str(built["model"]))
    cfg = fixed.KernelConfig.load()
    rom = fixed.medoid_rom(model, cfg)
    model.axis_weights = np.array([4.0, 1.0, 1.0])
    np.testing.assert_array_equal(fixed.medoid_rom(model, cfg), rom)
    heavy = fixed.medoid_rom(model, cfg.replace(axis_weights=[4.0, 1.0, 1.0]))
    assert (heavy[..., 0] != rom[..., 0]).any()


def test_golden_round_trip_and_header(built):
    hdr, words, score, idx, trig, tags = read_golden(built["golden"])
    cfg = fixed.KernelConfig.load()
    model = linot.LinModel.load(str(built["model"]))
    rom = fixed.medoid_rom(model, cfg)
    assert len(words) >= 10_000 and hdr["n_events"] == len(words)
    assert hdr["config_sha256"] == cfg.sha256
    assert hdr["model_sha256"] == hashlib.sha256(built["model"].read_bytes()).hexdigest()
    assert hdr["rom_sha256"] == hashlib.sha256(rom.astype("<i8").tobytes()).hexdigest()
    assert (hdr["K"], hdr["threshold"], hdr["idx_bits"]) == (6, model.threshold, 3)
    res = fixed.run(words, rom, hdr["threshold"], cfg)
    np.testing.assert_array_equal(res.score, score)
    np.testing.assert_array_equal(res.idx, idx)
    np.testing.assert_array_equal(res.trig, trig)
    assert 0 < trig.sum() < len(trig)
    # the text itself: 11 hex digits per word, lower case
    line = next(ln for ln in built["golden"].read_text().splitlines() if not ln.startswith("#"))
    tok = line.split("#")[0].split()
    assert len(tok) == 22 and all(len(t) == 11 for t in tok[:19]) and len(tok[19]) == 4
    assert line == line.lower()


def test_word_layout_with_bitstring(built):
    _, words, *_ = read_golden(built["golden"])
    cfg = fixed.KernelConfig.load()
    pt, eta, phi = fixed.unpack_words(words[:300], cfg)
    for e in range(0, 300, 7):
        for s in range(19):
            b = (Bits(uint=int(pt[e, s]), length=16) + Bits(int=int(eta[e, s]), length=14)
                 + Bits(int=int(phi[e, s]), length=13))
            assert b.uint == int(words[e, s])


def test_golden_covers_every_category(built):
    _, words, score, idx, trig, tags = read_golden(built["golden"])
    tags = np.array(tags)
    cfg = fixed.KernelConfig.load()
    pt, eta, phi = fixed.unpack_words(words, cfg)
    for cat in export.CATEGORIES:
        assert (tags == cat).sum() > 0, cat
    assert (words[tags == "empty"] == 0).all()
    assert (words[tags == "full"] != 0).all()
    # exact pT ties with different angles
    e = np.flatnonzero(tags == "pt_ties")[0]
    occ = pt[e] > 0
    vals, counts = np.unique(pt[e][occ], return_counts=True)
    assert counts.max() > 1
    tie = np.flatnonzero(pt[e] == vals[counts.argmax()])
    assert len(set(zip(eta[e, tie].tolist(), phi[e, tie].tolist()))) > 1
    assert (pt[tags == "pt_saturation"] == 2 ** 16 - 1).any()
    ax = tags == "angle_extremes"
    for v in (-(2 ** 13), 2 ** 13 - 1):
        assert (eta[ax] == v).any()
    for v in (-(2 ** 12), 2 ** 12 - 1):
        assert (phi[ax] == v).any()
    assert (score[tags == "medoid"] == 0).all()
    assert len(set(idx[tags == "medoid"].tolist())) == 6
    # medoid ties: two medoids at exactly the same minimal distance, lowest index wins
    model = linot.LinModel.load(str(built["model"]))
    rom = fixed.medoid_rom(model, cfg)
    mt = np.flatnonzero(tags == "medoid_tie")
    res = fixed.run(words[mt], rom, None, cfg, stages=True)
    for r in range(len(mt)):
        d = res.stages["d"][r]
        mins = np.flatnonzero(d == d.min())
        assert len(mins) >= 2 and idx[mt[r]] == mins[0]
    assert (tags == "sample").sum() == 1000  # 500 per file from the two files


def test_golden_boundary_categories(built):
    """Score at T-1/T/T+1 and at saturation, ties, equal pT, largest |x - rom|: recomputed by
    brute force from the words and the medoid events (tests/fixtures.py), not read from the tags."""
    hdr, words, score, idx, trig, tags = read_golden(built["golden"])
    cfg = fixed.KernelConfig.load()
    model = linot.LinModel.load(str(built["model"]))
    med_words, _ = fixed.events_to_words(model.medoid_events, cfg)
    facts = check_boundary_categories(words, tags, med_words, hdr["threshold"], cfg, n_total=len(words))
    t = np.array(tags)
    assert (trig[t == "threshold_below"] == 0).all() and (trig[t == "threshold_at"] == 1).all()
    assert (trig[t == "threshold_above"] == 1).all()
    # the file's idx is the lowest of the tied medoids
    from fixtures import ref_distances
    sel = np.flatnonzero(np.isin(t, ["argmin_tie2", "argmin_tie3"]))
    D = ref_distances(words[sel], med_words, cfg)
    np.testing.assert_array_equal(idx[sel], D.argmin(axis=1))
    # per-category counts in export.json agree with the file
    s = json.loads((built["out"] / "export.json").read_text())
    for cat in facts:
        assert s["golden"]["counts"][cat] == int((t == cat).sum())
    assert sum(s["golden"]["counts"].values()) == len(words) >= 10_000


def test_boundary_construction_errors_name_the_category():
    """A model or config that makes a category impossible is refused with the category's name."""
    from l1ot.errors import ModelError

    cfg = fixed.KernelConfig.load()
    ev = toy_events(3, seed=4)
    rom = fixed.medoid_rom(ev, cfg)
    with pytest.raises(ModelError, match="'threshold_below'.*threshold 0"):
        boundary_events(cfg, rom, 0)
    with pytest.raises(ModelError, match="'threshold_above'"):
        boundary_events(cfg, rom, cfg.score_max)
    # a three-way tie needs three medoids whose |rom|^2 have equal parity: with K = 2 it cannot
    # exist, so the category is skipped with a warning and listed as impossible (not an error)
    with pytest.warns(UserWarning, match="'argmin_tie3' skipped: K = 2"):
        _, tags, info = boundary_events(cfg, rom[:2], 30)
    assert "argmin_tie3" in info["impossible"] and "argmin_tie3" not in tags
    # a score so wide that no input saturates it
    wide = cfg.replace(score_bits=40)
    with pytest.raises(ModelError, match="'score_max_unsat'.*largest D"):
        boundary_events(wide, fixed.medoid_rom(ev, wide), 30)


def test_export_outputs_and_summary(built):
    s = json.loads((built["out"] / "export.json").read_text())
    assert s["derived"]["config_sha256"] == fixed.KernelConfig.load().sha256
    assert s["golden"]["header"]["n_events"] >= 10_000
    for key, name in (("parameters_h", "parameters.h"), ("sv_package", "l1ot_params_pkg.sv")):
        if key in s["files"]:
            assert (built["out"] / name).is_file()
    # default export name from K and the transport; every RTL file of the core is in the folder
    assert s["name"] == "l1ot_k6" and "package l1ot_k6_params_pkg;" in (built["out"] / "l1ot_params_pkg.sv").read_text()
    core = (built["out"] / "l1ot_k6.core").read_text()
    listed = re.findall(r"^\s+- \"?!?(?:l1ot_comb \? \()?([\w.]+?)\)?\"?$", core, re.M)
    assert "l1ot_k6_kernel_cm.sv" in listed and all((built["out"] / f).is_file() for f in listed)
    assert (built["out"] / "l1ot_k6.dep").is_file() and s["rtl_top"] == "l1ot_k6_kernel_cm"


def test_export_refuses_stale_calibration(built, tmp_path, capsys):
    import shutil
    m = tmp_path / "m.h5"
    shutil.copy(built["model"], m)
    with h5py.File(m, "a") as f:
        f.attrs["threshold_config_sha256"] = "0" * 64
    assert cli(["export", "--model", str(m), "--out", str(tmp_path / "o")]) == 2
    assert "rerun `l1ot calibrate`" in capsys.readouterr().err
    with h5py.File(m, "a") as f:
        del f.attrs["threshold"]
    assert cli(["export", "--model", str(m), "--out", str(tmp_path / "o")]) == 2
    assert "no threshold" in capsys.readouterr().err


def test_read_golden_errors(tmp_path, built):
    text = built["golden"].read_text().splitlines()
    bad = tmp_path / "g.txt"
    bad.write_text("\n".join(["# something else"] + text[1:]) + "\n")
    with pytest.raises(DataError, match="first line"):
        read_golden(bad)
    lines = text[:]
    lines[5] = lines[5].split("#")[0].strip().rsplit(" ", 2)[0]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 6: expected 22 fields"):
        read_golden(bad)
    lines = text[:]
    lines[4] = "zz" + lines[4][2:]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 5: not a hex"):
        read_golden(bad)


def test_calibrate_rejects_overlap_with_training(built, tmp_path, capsys):
    import shutil
    m = tmp_path / "m.h5"
    shutil.copy(built["model"], m)
    with h5py.File(m, "a") as f:
        f.attrs["n_train"] = 9000
    assert cli(["calibrate", str(m), "--bkg-eff", "0.01", "--data", str(built["bkg"])]) == 2
    assert "overlap the calibration block" in capsys.readouterr().err


def test_export_writes_gt_golden_consistent_with_golden(built):
    """golden_gt.txt (issue 25): the golden.txt events in GT words score as in golden.txt
    wherever the MET slot's eta is 0 (a sum word has none), and the GT-only categories exist."""
    from l1ot.export import gt as gtx
    from l1ot.kernel import gtwords

    out = built["out"]
    for name in ("golden_gt.txt", "l1ot_gt_pkg.sv", "l1ot_gt.h"):
        assert (out / name).is_file(), name
    # the GT package and wrapper carry the export's name (l1ot.export.rtl)
    ename = json.loads((out / "export.json").read_text())["name"]
    assert re.search(rf"^package {ename}_gt_pkg;", (out / "l1ot_gt_pkg.sv").read_text(), re.M)
    assert re.search(rf"^module {ename}_gt_kernel\b", (out / f"{ename}_gt_kernel.sv").read_text(), re.M)
    assert f"{ename}_gt_kernel.sv" in (out / f"{ename}.core").read_text()
    h, words, score, idx, trig, tags = read_golden(built["golden"])
    hg, gt, gscore, gidx, gtrig, gtags = gtx.read_gt_golden(out / "golden_gt.txt")
    n = len(words)
    assert gtags[:n] == tags and hg["threshold"] == h["threshold"] and hg["rom_sha256"] == h["rom_sha256"]
    _pt, eta, _phi = fixed.unpack_words(words, fixed.KernelConfig.load())
    same = eta[:, 0] == 0
    assert same.sum() > n // 4
    assert (gscore[:n][same] == score[same]).all() and (gidx[:n][same] == idx[same]).all()
    assert (gtrig[:n][same] == trig[same]).all()
    # a MET eta is moved where the distances stay (met_moved) or dropped (sum_eta_dropped)
    assert hg["sum_eta_dropped"] + hg["met_moved"] == int((~same).sum())
    differ = (gscore[:n] != score) | (gidx[:n] != idx)
    assert int(differ.sum()) <= hg["sum_eta_dropped"]
    assert (gtwords.kernel_from_gt(gt[:n][same], fixed.KernelConfig.load()) == words[same]).all()
    for c in gtx.GT_CATEGORIES:
        assert c in gtags[n:]
