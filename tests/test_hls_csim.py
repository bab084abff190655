"""HLS kernel C simulation (g++ + hls4ml ap_types): bit-exact against the golden vectors.

* ``test_make_csim`` runs ``hls/run_csim.py`` as ``make csim CSIM_ARGS=--k 32`` does
  (``l1ot.artifacts.ensure`` + all golden vectors for R in {1, 4, 12}).
* The other tests build a small export from SYNTHETIC medoid events (no
  training data needed): golden vectors from ``l1ot.export.golden`` / ``l1ot.kernel.fixed``
  (all contract categories: ties, saturation, extremes, medoid ties),
  ``parameters.h`` from ``l1ot.export.hls``; then they check that the
  testbench passes for several R and that it detects corrupted, malformed or
  stale golden files.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
RUN_CSIM = REPO / "hls" / "run_csim.py"
sys.path.insert(0, str(REPO / "testbench"))
import tbutil  # noqa: E402  (random_medoid_events: the synthetic medoids shared with the RTL tests)

pytestmark = pytest.mark.hw


def _load_run_csim():
    spec = importlib.util.spec_from_file_location("l1ot_run_csim", RUN_CSIM)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


run_csim = _load_run_csim()


def _toolchain_or_skip():
    try:
        run_csim.compiler()
        run_csim.ap_types_dir()
    except run_csim.SetupError as exc:
        pytest.skip(str(exc))


def make_synthetic_export(out: Path, k: int = 8, n_golden: int = 1500, seed: int = 3,
                          threshold: int = 30, cfg=None, random_words: bool = False) -> Path:
    """parameters.h + golden.txt for K synthetic medoid events (test fixture, not physics).

    Golden events: the contract categories of ``l1ot.export.golden.golden_events`` (with
    the boundary categories at ``threshold`` and a medoid at the working-range corner), or
    (``random_words``) the medoids, float events and uniformly random input words.
    """
    from l1ot.export import golden as gold
    from l1ot.export.vectorfile import write_golden
    from l1ot.kernel import fixed
    from l1ot.export.hls import write_parameters_h

    cfg = cfg or fixed.KernelConfig.load()
    rng = np.random.default_rng(seed)
    ev = tbutil.random_medoid_events(rng, k)
    if not random_words:
        # the last medoid sits at the working-range corner (every slot at the raw type maxima),
        # so an input at the opposite corner reaches every derived width: diff, square, D = d_max
        top = [((1 << b) - 1 if a == "pt" else (1 << (b - 1)) - 1) * cfg.field_lsb[a]
               for a, b in (("pt", cfg.pt_bits), ("eta", cfg.eta_bits), ("phi", cfg.phi_bits))]
        ev[k - 1, :, :3] = np.array(top, dtype=np.float32)
        ev[k - 1, :, 3] = 4

    class Model:
        pass

    model = Model()
    model.threshold, model.path, model.medoid_events = threshold, None, ev
    rom = fixed.medoid_rom(ev, cfg)
    out.mkdir(parents=True, exist_ok=True)
    if random_words:
        fl = np.zeros((n_golden, 19, 4), np.float32)
        fl[..., 0] = rng.exponential(40.0, (n_golden, 19)) * (rng.random((n_golden, 19)) < 0.6)
        fl[..., 1] = rng.uniform(-5, 5, (n_golden, 19)) * (fl[..., 0] > 0)
        fl[..., 2] = rng.uniform(-3.2, 3.2, (n_golden, 19)) * (fl[..., 0] > 0)
        raw = [rng.integers(lo, hi + 1, (n_golden, 19)) for lo, hi in (cfg.raw_range[a] for a in ("pt", "eta", "phi"))]
        words = np.concatenate([fixed.events_to_words(ev, cfg)[0], fixed.events_to_words(fl, cfg)[0],
                                fixed.pack_words(*raw, cfg)])
        tags = ["medoid"] * k + ["float"] * n_golden + ["random_words"] * n_golden
    else:
        words, tags, _ = gold.golden_events(cfg, rom, data_dir=str(out / "no_sample"), n_total=n_golden,
                                            seed=seed, medoid_events=ev, threshold=threshold)
    g = write_golden(out / "golden.txt", cfg, model, rom, words, tags)
    # the Python model's saturation count, where `l1ot export` puts it (run_csim compares csim's with it)
    (out / "export.json").write_text(json.dumps({"golden": {"n_score_sat": g["n_score_sat"]}}))
    np.save(out / "medoid_words.npy", fixed.events_to_words(ev, cfg)[0])
    write_parameters_h(cfg, model, rom, out / "parameters.h")
    return out


@pytest.fixture(scope="module")
def synth_export(tmp_path_factory):
    _toolchain_or_skip()
    return make_synthetic_export(tmp_path_factory.mktemp("hls_export") / "k8")


@pytest.fixture(scope="module")
def csim_r3(synth_export, tmp_path_factory):
    """Testbench binary for the synthetic export with R = 3 (K = 8: 3 steps of 3, one padding slot)."""
    exe, _ = run_csim.build(synth_export, 3, tmp_path_factory.mktemp("csim_r3"))
    return exe


def _data_lines(path: Path):
    lines = path.read_text().splitlines(keepends=True)
    return lines, [i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]


def test_synthetic_export_bit_exact_all_reuse(synth_export, csim_r3, tmp_path):
    """0 mismatches for R = 1 (run_csim) and R = 3 (same golden file, every category)."""
    from l1ot.export.vectorfile import read_golden

    header, words, score, idx, trig, tags = read_golden(synth_export / "golden.txt")
    assert len(set(tags)) >= 6  # several categories present
    assert (score == (1 << 16) - 1).any() and trig.any() and not trig.all()
    rep = tmp_path / "csim.json"
    rc = run_csim.main(["--build", str(tmp_path / "b"), "--export-dir", str(synth_export),
                        "--reuse", "1", "--report", str(rep)])
    assert rc == 0
    r = json.loads(rep.read_text())
    # R = 1 runs both distance strategies: constant-matrix identity (default) and per-medoid squares
    assert set(r) == {"k8_r1", "k8_r1_s0"}
    for name, strat in (("k8_r1", 1), ("k8_r1_s0", 0)):
        entry = r[name]
        assert entry["vectors"] == len(words) == entry["passed"]
        assert entry["mismatches"] == 0 and entry["K"] == 8 and entry["R"] == 1 and entry["strategy"] == strat
    res = run_csim.run_binary(csim_r3, synth_export / "golden.txt")
    assert res["exit_code"] == 0 and res["failed"] == 0 and res["passed"] == len(words)
    assert "R = 3 (3 distances per step)" in res["output"]


def test_synthetic_export_boundary_categories(synth_export):
    """The synthetic export has vectors at T-1, T, T+1, at saturation, ties, and reaches every derived
    width (|x - rom| = the full working span on each axis, D = d_max): recomputed by brute force."""
    from fixtures import check_boundary_categories, ref_distances, ref_x_limits
    from l1ot.export.vectorfile import read_golden
    from l1ot.kernel import fixed

    header, words, score, idx, trig, tags = read_golden(synth_export / "golden.txt")
    cfg = fixed.KernelConfig.load()
    med = np.load(synth_export / "medoid_words.npy")
    assert header["threshold"] == 30
    facts = check_boundary_categories(words, tags, med, 30, cfg, n_total=len(words))
    lo, hi = ref_x_limits(cfg)
    assert facts["diff_extremes"]["reach"] == (hi - lo).tolist()
    span = hi - lo
    assert facts["diff_extremes"]["d_max"] == cfg.n_obj * int((span ** 2).sum())
    t = np.array(tags)
    assert ref_distances(words[t == "diff_extremes"], med, cfg).max() == facts["diff_extremes"]["d_max"]
    assert trig[t == "threshold_below"].max() == 0 and trig[t == "threshold_at"].min() == 1


@pytest.mark.parametrize("variant", ["run3", "species"])
def test_other_configs_bit_exact(variant, tmp_path):
    """Run-3 object scales (25-bit words) and the per-species sorting network."""
    _toolchain_or_skip()
    from l1ot.kernel import fixed

    if variant == "run3":
        cfg = fixed.KernelConfig.load(fixed.CONFIG_DIR / "kernel_run3.json")
    else:
        cfg = fixed.KernelConfig.load(None, transport="species")
    ex = make_synthetic_export(tmp_path / variant, k=5, n_golden=800, cfg=cfg, random_words=True)
    text = (ex / "parameters.h").read_text()
    assert f"ap_uint<{cfg.word_bits}> obj_word_t" in text and f"sorter_{cfg.network.name}" in text
    exe, _ = run_csim.build(ex, 2, tmp_path / "bin")
    res = run_csim.run_binary(exe, ex / "golden.txt")
    assert res["exit_code"] == 0, res["output"][-3000:]
    assert res["failed"] == 0 and res["passed"] == 5 + 2 * 800


def test_corrupted_golden_line_is_detected(synth_export, csim_r3, tmp_path):
    lines, data = _data_lines(synth_export / "golden.txt")
    i = data[len(data) // 2]
    tok = lines[i].split()
    score = int(tok[19], 16)
    tok[19] = f"{score ^ 1:04x}"  # flip the score LSB
    lines[i] = " ".join(tok) + "\n"
    bad = tmp_path / "golden_bad.txt"
    bad.write_text("".join(lines))
    p = subprocess.run([str(csim_r3), str(bad)], capture_output=True, text=True)
    assert p.returncode == 1
    assert f"{len(data) - 1} passed, 1 failed" in p.stdout
    assert f"line {i + 1}" in p.stdout and "MISMATCH" in p.stdout
    # every stage of the failing event is printed
    for stage in ("stage 0/a", "stage b", "stage c", "stage d"):
        assert stage in p.stdout


def test_wrong_index_and_trigger_detected(synth_export, csim_r3, tmp_path):
    lines, data = _data_lines(synth_export / "golden.txt")
    for col, fn in ((20, lambda v: f"{(int(v, 16) + 1) % 8:x}"), (21, lambda v: "1" if v == "0" else "0")):
        ls = list(lines)
        tok = ls[data[0]].split()
        tok[col] = fn(tok[col])
        ls[data[0]] = " ".join(tok) + "\n"
        bad = tmp_path / f"golden_col{col}.txt"
        bad.write_text("".join(ls))
        p = subprocess.run([str(csim_r3), str(bad)], capture_output=True, text=True)
        assert p.returncode == 1 and "1 failed" in p.stdout


def test_malformed_golden_line_is_an_input_error(synth_export, csim_r3, tmp_path):
    lines, data = _data_lines(synth_export / "golden.txt")
    i = data[5]
    lines[i] = " ".join(lines[i].split("#")[0].split()[:-2]) + "\n"  # drop idx and trig
    bad = tmp_path / "golden_short.txt"
    bad.write_text("".join(lines))
    p = subprocess.run([str(csim_r3), str(bad)], capture_output=True, text=True)
    assert p.returncode == 2
    assert f"golden_short.txt:{i + 1}:" in p.stderr and "expected 22 fields" in p.stderr
    # a word wider than 43 bits
    lines, data = _data_lines(synth_export / "golden.txt")
    tok = lines[data[0]].split()
    tok[3] = "80000000000"
    lines[data[0]] = " ".join(tok) + "\n"
    bad.write_text("".join(lines))
    p = subprocess.run([str(csim_r3), str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and "slot 3" in p.stderr


def test_stale_golden_header_is_rejected(synth_export, csim_r3, tmp_path):
    text = (synth_export / "golden.txt").read_text()
    for key, old_new in (("config_sha256", None), ("K", ("K 8 ", "K 16 ")), ("threshold", ("threshold 30", "threshold 31"))):
        if old_new is None:
            hdr = text.splitlines()[1]
            sha = hdr.split("config_sha256 ")[1].split()[0]
            bad_text = text.replace(sha, "0" * 64, 1)
        else:
            bad_text = text.replace(old_new[0], old_new[1], 1)
        assert bad_text != text
        bad = tmp_path / f"stale_{key}.txt"
        bad.write_text(bad_text)
        p = subprocess.run([str(csim_r3), str(bad)], capture_output=True, text=True)
        assert p.returncode == 2, key
        assert f"header field {key}" in p.stderr


def test_saturation_count_compared_with_export_json(synth_export, csim_r3, tmp_path):
    """csim's score saturation count must equal export.json's (the Python model's count,
    what `l1ot export` writes): the C++ count equals the Python model's on the same
    words and is bounded by the golden scores at the maximum (a raw score can also
    land on it exactly); a run_csim whose export.json disagrees exits 1 naming both."""
    import shutil

    from l1ot.export.vectorfile import read_golden

    header, _, score, _, _, _ = read_golden(synth_export / "golden.txt")
    n_at_max = int(np.count_nonzero(score == (1 << int(header["score_bits"])) - 1))
    n_py = run_csim.export_saturations(synth_export)          # the Python model's count
    res = run_csim.run_binary(csim_r3, synth_export / "golden.txt")
    assert 0 < res["score_saturations"] == n_py <= n_at_max  # the corner medoid reaches saturation
    n_max = n_py
    assert run_csim.saturation_problem(n_max, n_max) is None
    assert run_csim.saturation_problem(n_max, None) is None       # nothing to compare with
    assert "no score saturation count" in run_csim.saturation_problem(None, n_max)
    ex = tmp_path / "k8"
    shutil.copytree(synth_export, ex)
    (ex / "export.json").write_text(json.dumps({"golden": {"n_score_sat": n_max + 1}}))
    assert run_csim.export_saturations(ex) == n_max + 1
    rep = tmp_path / "csim.json"
    p = subprocess.run([sys.executable, str(RUN_CSIM), "--build", str(tmp_path / "b"), "--export-dir", str(ex),
                        "--reuse", "3", "--report", str(rep)], capture_output=True, text=True)
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"score saturations {n_max} in csim, {n_max + 1} in export.json" in p.stderr
    assert "SATURATIONS DIFFER" in p.stdout
    entry = json.loads(rep.read_text())["k8_r3"]
    assert entry["mismatches"] == 0 and entry["score_saturations_export"] == n_max + 1


def test_missing_export_is_one_line_error(tmp_path):
    p = subprocess.run([sys.executable, str(RUN_CSIM), "--export-dir", str(tmp_path / "nope"),
                        "--report", str(tmp_path / "r.json")], capture_output=True, text=True)
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0 and "parameters.h not found" in p.stderr


def test_csim_chain_on_toy_sample(tmp_path):
    """The `make csim` chain on a SYNTHETIC background file (test fixture, not physics):
    l1ot.artifacts.ensure trains, calibrates and exports; the kernel matches all vectors."""
    _toolchain_or_skip()
    from fixtures import toy_events
    from l1ot.io.data import write_events

    data = tmp_path / "data"
    data.mkdir()
    write_events(data / "background_for_training.h5", toy_events(12_000, seed=5))
    rep = tmp_path / "csim.json"
    p = subprocess.run([sys.executable, str(RUN_CSIM), "--build", str(tmp_path / "build"), "--data", str(data),
                        "--k", "8", "--reuse", "12", "--report", str(rep)],
                       cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    r = json.loads(rep.read_text())
    # the reuse row asked for, and the graded trigger bits of the same export (golden_graded.txt)
    assert set(r) == {"k8_r12", "k8_graded"}
    for entry in r.values():
        assert entry["mismatches"] == 0 and entry["passed"] == entry["vectors"] >= 10_000
    assert "k8_r12" in p.stdout and "ok" in p.stdout


def _sample_present() -> bool:
    return (REPO / "data" / "background_for_training.h5").is_file() or \
        (REPO / "build" / "model_k32.h5").is_file()


@pytest.mark.skipif(not _sample_present(), reason="no bundled sample (make data) and no trained model")
def test_make_csim(tmp_path):
    """What `make csim CSIM_ARGS=--k 32` runs: artifacts.ensure(k=32) (the sorted K = 32
    export), R in {1, 4, 12}, 0 mismatches. Plain `make csim` simulates the default species
    K = 64 export instead (training it and four K = 64 builds cost about 3 minutes, too much
    for `make test`; its selection is checked in tests/test_default_config.py)."""
    _toolchain_or_skip()
    rep = tmp_path / "csim.json"
    p = subprocess.run([sys.executable, str(RUN_CSIM), "--build", "build", "--k", "32", "--report", str(rep)],
                       cwd=REPO, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    r = json.loads(rep.read_text())
    assert {"k32_r1", "k32_r4", "k32_r12"} <= set(r)
    for entry in r.values():
        assert entry["mismatches"] == 0 and entry["passed"] == entry["vectors"] >= 10_000
