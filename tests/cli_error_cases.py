"""The input classes of ``docs/errors.md``, run through ``l1ot.cli.main(argv)`` in-process.

Shared by ``tests/test_cli_errors.py`` (one pytest case per row) and
``scripts/cli_errors_report.py`` (the totals: cases run, tracebacks,
exit 0 on bad input, partial or destroyed outputs).

:func:`build_env` cuts small inputs from the bundled sample into a folder and
builds every bad input there (tampered model files, bad configs, zero-event
files, read-only files and folders, ...). Each :class:`Case` gives the argv
(relative names, as a user types them; the command runs in that folder), the
documented exit code and the strings its one error line must contain (the file
as typed, or the argument). :func:`run_case` runs one case and checks:

* the exit code;
* no traceback; exactly one ``error:`` line (argparse's usage line may precede
  it), naming the file or argument;
* for bad input: every file and folder of the environment, inputs and outputs
  alike, is byte-identical afterwards and nothing was added (no output, no
  temporary file, no folder), i.e. nothing destroyed and nothing partial;
* for the valid rows: the expected outputs exist (and a check function on them).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from typing import Callable

import h5py
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "data")
BKG = os.path.join(DATA, "background_for_training.h5")
SIG = os.path.join(DATA, "Ato4l_lepFilter_13TeV.h5")


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def _write_raw(path, particles):
    """An events file written without validation (so it may hold bad values)."""
    with h5py.File(path, "w") as f:
        f.create_dataset("Particles", data=np.asarray(particles, dtype=np.float32))


def _write_corrupt_chunk(path, particles, chunk, bad_chunk):
    """A gzip-chunked events file whose storage chunk ``bad_chunk`` does not decompress."""
    with h5py.File(path, "w") as f:
        f.create_dataset("Particles", data=np.asarray(particles, dtype=np.float32),
                         chunks=(chunk, 19, 4), compression="gzip")
    with h5py.File(path, "r") as f:
        info = f["Particles"].id.get_chunk_info(bad_chunk)
    assert info.chunk_offset[0] == bad_chunk * chunk
    with open(path, "r+b") as f:
        f.seek(info.byte_offset + 10)
        f.write(b"\xff" * 64)


def _tamper(src, dst, fn):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "a") as f:
        fn(f)


def _replace(f, name, data):
    del f[name]
    f.create_dataset(name, data=data)


def build_env(root) -> str:
    """Write every input of the table into ``root`` (created); returns ``root``."""
    from l1ot.io import data
    from l1ot.kernel import fixed
    from l1ot.ot import linot

    root = os.fspath(root)
    os.makedirs(root, exist_ok=True)
    j = lambda *p: os.path.join(root, *p)  # noqa: E731
    bkg = data.load(BKG, n=400)
    sig = data.load(SIG, n=300)
    data.write_events(j("bkg.h5"), bkg)
    data.write_events(j("sig.h5"), sig)
    data.write_events(j("zero.h5"), bkg[:0])
    bad = sig.copy()
    bad[257, 3, 1] = np.nan                         # bad event at index 257 (chunks of 100: 2 good chunks)
    _write_raw(j("bad_event.h5"), bad)
    with h5py.File(j("no_particles.h5"), "w") as f:
        f.create_dataset("Other", data=np.zeros(3))
    _write_raw(j("wrong_shape.h5"), np.zeros((10, 18, 4)))
    # integer-typed Particles (refused by every reader: l1ot.io.data.check_dtype)
    with h5py.File(j("int_particles.h5"), "w") as f:
        f.create_dataset("Particles", data=sig.astype(np.int32))
    # an unreadable storage chunk: events 200..299 of 300 (chunks of 100, gzip)
    _write_corrupt_chunk(j("corrupt_chunk.h5"), sig, chunk=100, bad_chunk=2)
    with open(j("notes.txt"), "w") as f:
        f.write("not an HDF5 file\n")
    # model: k = 4 on 300 background events, threshold set for the default config
    cfg = fixed.KernelConfig.load()
    m = linot.train(bkg[:300], k=4, seed=0)
    m.meta.update({"train_start": 0, "n_train": 300})
    m.save(j("model.h5"))
    with h5py.File(j("model.h5"), "a") as f:
        f.attrs["threshold"] = 200
        f.attrs["threshold_config_sha256"] = cfg.sha256
    t = lambda name, fn: _tamper(j("model.h5"), j(name), fn)  # noqa: E731
    t("m_transport.h5", lambda f: f.attrs.__setitem__("transport", "bogus"))
    t("m_nan_emb.h5", lambda f: f["medoid_embeddings"].__setitem__((2, 0, 0), np.nan))
    t("m_nan_event.h5", lambda f: f["medoid_events"].__setitem__((1, 0, 0), np.nan))
    t("m_emb_changed.h5", lambda f: f["medoid_embeddings"].__setitem__((1, 0, 0), 1234.5))

    def k0(f):
        for n in ("medoid_events", "medoid_embeddings", "medoid_train_index"):
            _replace(f, n, f[n][:0])
    t("m_k0.h5", k0)
    t("m_k_mismatch.h5", lambda f: _replace(f, "medoid_events", f["medoid_events"][:3]))
    t("m_weights.h5", lambda f: f.attrs.__setitem__("axis_weights", np.array([-1.0, 1.0, 1.0])))
    t("m_weights_nan.h5", lambda f: f.attrs.__setitem__("axis_weights", np.array([np.nan, 1.0, 1.0])))
    # a valid model trained with weights that are not the config's [1, 1, 1]: another metric than the kernel's
    mw = linot.train(bkg[:300], k=4, weights=(1.0, 2.0, 1.0), seed=0)
    mw.meta.update({"train_start": 0, "n_train": 300})
    mw.save(j("m_weights_other.h5"))
    with h5py.File(j("m_weights_other.h5"), "a") as f:
        f.attrs["threshold"] = 200
        f.attrs["threshold_config_sha256"] = cfg.sha256
    t("m_threshold.h5", lambda f: f.attrs.__setitem__("threshold", -5))
    t("m_threshold_big.h5", lambda f: f.attrs.__setitem__("threshold", 70000))
    t("m_format.h5", lambda f: f.attrs.__setitem__("format", "something-else"))
    t("m_no_ref.h5", lambda f: f.__delitem__("reference"))
    t("m_ref_shape.h5", lambda f: _replace(f, "reference", np.zeros((18, 3))))
    # configs
    default = json.loads(fixed.DEFAULT_CONFIG.read_text())
    for name, change in (("cfg.json", {}), ("cfg_phi_wrap_str.json", {"phi_wrap": "false"}),
                         ("cfg_n_obj_str.json", {"n_obj": "19"}), ("cfg_reuse_float.json", {"reuse_factor": 1.5}),
                         ("cfg_input_format.json", {"input_format": 3}),
                         ("cfg_network.json", {"networks": {"sorted": "nosuch19", "species": "species19"}}),
                         ("cfg_unknown_field.json", {"colour": "red"})):
        with open(j(name), "w") as f:
            json.dump({**default, **change}, f, indent=1)
    with open(j("cfg_broken.json"), "w") as f:
        f.write('{"n_obj": 19,')
    # output targets
    os.makedirs(j("existing_dir"))
    os.makedirs(j("ro_dir"))
    shutil.copyfile(j("model.h5"), j("ro_model.h5"))
    shutil.copyfile(j("model.h5"), j("ro_dir", "model.h5"))
    with open(j("ro_out.h5"), "w") as f:
        f.write("an existing read-only output\n")
    with open(j("report.json"), "w") as f:
        f.write("{broken json")
    os.link(j("sig.h5"), j("sig_hardlink.h5"))
    os.symlink("sig.h5", j("sig_symlink.h5"))
    # folders of ADC2021-named files: one with a zero-event file, one with a bad event
    from l1ot.evaluation.evaluate import BACKGROUND, SIGNALS
    os.makedirs(j("zero_data"))
    data.write_events(j("zero_data", SIGNALS["A"]), bkg[:0])
    os.makedirs(j("int_data"))
    shutil.copyfile(j("int_particles.h5"), j("int_data", SIGNALS["A"]))
    os.makedirs(j("bad_data"))
    _write_raw(j("bad_data", SIGNALS["A"]), bad)
    os.makedirs(j("small_data"))
    data.write_events(j("small_data", BACKGROUND), bkg)
    data.write_events(j("small_data", SIGNALS["A"]), sig)  # a complete folder for --signals A
    # parton-level group ids (parton_event): wrong length, wrong dtype, and a valid folder
    data.write_events(j("bkg_groups_len.h5"), bkg, extra={"parton_event": np.arange(10, dtype=np.int64)})
    data.write_events(j("bkg_groups_float.h5"), bkg, extra={"parton_event": np.zeros(len(bkg), np.float32)})
    os.makedirs(j("group_data"))
    data.write_events(j("group_data", BACKGROUND), bkg,
                      extra={"parton_event": np.arange(len(bkg), dtype=np.int64) // 3,
                             "pthat": np.full(len(bkg), 50.0, np.float32)})
    data.write_events(j("group_data", SIGNALS["A"]), sig,
                      extra={"parton_event": np.arange(len(sig), dtype=np.int64) + 10_000})
    for f in (j("ro_model.h5"), j("ro_out.h5"), j("ro_dir", "model.h5")):
        os.chmod(f, 0o444)
    os.chmod(j("ro_dir"), 0o555)
    return root


def release_env(root) -> None:
    """Give back write permission everywhere (so the folder can be removed)."""
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)
    os.chmod(root, os.stat(root).st_mode | stat.S_IWUSR)


def snapshot(root) -> dict:
    """{relative path: sha256 or 'dir' or 'link -> target'} of everything under ``root``."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = "link -> " + os.readlink(p)
            elif os.path.isdir(p):
                out[rel] = "dir"
            else:
                with open(p, "rb") as f:
                    out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------
@dataclass
class Case:
    """One command on one input class.

    ``names``: strings the one error line must contain (the file as typed, the
    argument, ...); ``code``: the documented exit code; ``bad``: a bad input
    (the environment must be unchanged afterwards); ``check``: for valid rows,
    a function ``(root, stdout) -> None`` asserting on the outputs.
    """

    id: str
    cls: str
    argv: list
    code: int = 2
    names: tuple = ()
    bad: bool = True
    check: Callable | None = None
    slow: bool = False
    extra: dict = field(default_factory=dict)


SCORE = ["score", "model.h5", "sig.h5"]
FIX = ["score", "model.h5", "sig.h5", "--fixed"]
CAL = ["calibrate", "model.h5", "--bkg-eff", "0.01", "--data", "bkg.h5"]
EXP = ["export", "--model", "model.h5", "--out", "exp", "--data", "small_data", "--n-golden", "100"]
TRAIN = ["train", "bkg.h5", "--split", "all", "--n", "300", "--k", "4"]
AUG = ["methods", "augment", "bkg.h5", "-n", "50"]
EVAL = ["evaluate", "--data", "small_data", "--methods", "total_pt", "--n-sets", "1", "--n-per-set", "20",
        "--n-calib", "20", "--signals", "A"]
KNN = ["methods", "knn", "--data", "small_data", "--distance", "linw2", "--signals", "A", "--no-progress"]


def _cases() -> list[Case]:
    C = []

    def add(id_, cls, argv, names=(), code=2, **kw):
        C.append(Case(id_, cls, list(argv), code, tuple(names), **kw))

    # 1. output equal to an input ------------------------------------------------
    c = "1 output is an input"
    add("score-o-events", c, SCORE + ["-o", "sig.h5"], ["sig.h5"])
    add("score-o-model", c, SCORE + ["-o", "model.h5"], ["model.h5"])
    add("score-o-events-dotslash", c, SCORE + ["-o", "./sig.h5"], ["./sig.h5"])
    add("score-o-hardlink", c, SCORE + ["-o", "sig_hardlink.h5"], ["sig_hardlink.h5"])
    add("score-o-symlink", c, SCORE + ["-o", "sig_symlink.h5"], ["sig_symlink.h5"])
    add("score-fixed-o-config", c, FIX + ["--config", "cfg.json", "-o", "cfg.json"], ["cfg.json"])
    add("train-o-input", c, TRAIN + ["-o", "bkg.h5"], ["bkg.h5"])
    add("augment-o-input", c, AUG + ["-o", "bkg.h5"], ["bkg.h5"])
    add("calibrate-data-is-model", c, ["calibrate", "model.h5", "--bkg-eff", "0.01", "--data", "model.h5"],
        ["model.h5"])
    add("export-out-is-data", c, EXP[:-4] + ["--data", "small_data", "--out", "small_data"], ["small_data"])
    add("evaluate-table-is-input", c, EVAL + ["--table", "small_data/background_for_training.h5"],
        ["small_data/background_for_training.h5"])
    add("evaluate-report-is-input", c, EVAL + ["--report", "small_data/background_for_training.h5"],
        ["small_data/background_for_training.h5"])
    add("knn-report-is-input", c, KNN + ["--report", "small_data/background_for_training.h5"],
        ["small_data/background_for_training.h5"])
    add("evaluate-report-is-table", c, EVAL + ["--report", "r.json", "--table", "r.json"], ["r.json"])

    # 2. unwritable outputs -----------------------------------------------------------
    c = "2 unwritable output"
    for tag, out in (("parent-is-file", "notes.txt/out.h5"), ("is-dir", "existing_dir"),
                     ("ro-folder", "ro_dir/out.h5"), ("ro-file", "ro_out.h5")):
        add(f"score-{tag}", c, SCORE + ["-o", out], [out])
        add(f"train-{tag}", c, TRAIN + ["-o", out], [out])
        add(f"augment-{tag}", c, AUG + ["-o", out], [out])
    add("score-fixed-ro-folder", c, FIX + ["-o", "ro_dir/out.h5"], ["ro_dir/out.h5"])
    add("evaluate-table-parent-is-file", c, EVAL + ["--table", "notes.txt/t.md"], ["notes.txt/t.md"])
    add("evaluate-report-ro-folder", c, EVAL + ["--report", "ro_dir/r.json"], ["ro_dir/r.json"])
    add("evaluate-figures-is-file", c, EVAL + ["--figures", "notes.txt"], ["notes.txt"])
    add("evaluate-report-not-json", c, EVAL + ["--report", "report.json"], ["report.json"])
    add("calibrate-ro-model", c, ["calibrate", "ro_model.h5", "--bkg-eff", "0.01", "--data", "bkg.h5"],
        ["ro_model.h5"])
    add("calibrate-model-in-ro-folder", c, ["calibrate", "ro_dir/model.h5", "--bkg-eff", "0.01", "--data",
                                            "bkg.h5"], ["ro_dir/model.h5"])
    add("export-out-is-file", c, EXP[:-6] + ["--out", "notes.txt", "--data", "small_data"], ["notes.txt"])
    add("export-out-in-ro-folder", c, EXP[:-6] + ["--out", "ro_dir/exp", "--data", "small_data"], ["ro_dir/exp"])
    add("knn-report-ro-folder", c, KNN + ["--report", "ro_dir/r.json"], ["ro_dir/r.json"])
    add("knn-table-is-dir", c, KNN + ["--table", "existing_dir"], ["existing_dir"])
    add("knn-cache-is-file", c, KNN + ["--cache-dir", "notes.txt"], ["notes.txt"])

    # 3. partial outputs --------------------------------------------------------------
    c = "3 partial output"
    add("score-bad-event-midway", c, ["score", "model.h5", "bad_event.h5", "--chunk-size", "100", "-o", "o.h5"],
        ["bad_event.h5", "event 257", "slot 3", "eta"])
    add("score-fixed-bad-event-midway", c, ["score", "model.h5", "bad_event.h5", "--fixed", "--chunk-size", "100",
                                            "-o", "o.h5"], ["bad_event.h5", "event 257", "slot 3", "eta"])
    add("score-bad-event-keeps-old-output", c, ["score", "model.h5", "bad_event.h5", "--chunk-size", "100",
                                                "-o", "notes.txt"], ["bad_event.h5", "event 257"])
    add("augment-bad-event-keeps-old-output", c, ["methods", "augment", "bad_event.h5", "-n", "300",
                                                  "-o", "notes.txt"], ["bad_event.h5", "event 257"])

    # 4. tampered model files ---------------------------------------------------------
    c = "4 tampered model"
    models = {"m_transport.h5": "transport", "m_nan_emb.h5": "medoid_embeddings",
              "m_nan_event.h5": "medoid_events", "m_emb_changed.h5": "medoid_embeddings",
              "m_k0.h5": "K = 0", "m_k_mismatch.h5": "shape", "m_weights.h5": "axis_weights",
              "m_weights_nan.h5": "axis_weights", "m_threshold.h5": "threshold", "m_format.h5": "format",
              "m_no_ref.h5": "reference", "m_ref_shape.h5": "reference", "notes.txt": "HDF5",
              "missing.h5": "not found", "existing_dir": "folder"}
    for m, what in models.items():
        add(f"score-{m}", c, ["score", m, "sig.h5", "-o", "o.h5"], [m, what])
        add(f"score-fixed-{m}", c, ["score", m, "sig.h5", "--fixed", "-o", "o.h5"], [m, what])
        add(f"calibrate-{m}", c, ["calibrate", m, "--bkg-eff", "0.01", "--data", "bkg.h5"], [m, what])
        add(f"export-{m}", c, ["export", "--model", m, "--out", "exp", "--data", "small_data"], [m, what])
    # valid axis_weights that differ from the config's: every command that runs the kernel refuses
    w = ["m_weights_other.h5", "axis_weights", "[1.0, 2.0, 1.0]", "[1.0, 1.0, 1.0]"]
    add("score-fixed-m_weights_other.h5", c, ["score", "m_weights_other.h5", "sig.h5", "--fixed", "-o", "o.h5"],
        w)
    add("calibrate-m_weights_other.h5", c, ["calibrate", "m_weights_other.h5", "--bkg-eff", "0.01", "--data",
                                            "bkg.h5"], w)
    add("export-m_weights_other.h5", c, ["export", "--model", "m_weights_other.h5", "--out", "exp", "--data",
                                         "small_data"], w)
    add("score-fixed-m_threshold_big.h5", c, ["score", "m_threshold_big.h5", "sig.h5", "--fixed", "-o", "o.h5"],
        ["m_threshold_big.h5", "threshold"])

    # 5. config field types -----------------------------------------------------------
    c = "5 config"
    cfgs = {"cfg_phi_wrap_str.json": "phi_wrap", "cfg_n_obj_str.json": "n_obj",
            "cfg_reuse_float.json": "reuse_factor", "cfg_input_format.json": "input_format",
            "cfg_network.json": "nosuch19", "cfg_unknown_field.json": "colour",
            "cfg_broken.json": "invalid JSON", "missing.json": "not found"}
    for cf, what in cfgs.items():
        add(f"score-fixed-{cf}", c, FIX + ["--config", cf, "-o", "o.h5"], [cf, what])
        add(f"calibrate-{cf}", c, CAL + ["--config", cf], [cf, what])
        add(f"export-{cf}", c, EXP + ["--config", cf], [cf, what])

    # 6. argument values (argparse usage and error) ------------------------------------
    c = "6 argument value"
    args = [
        ("train", TRAIN + ["-o", "m.h5"], [["--k", "0"], ["--k", "-3"], ["--n", "0"], ["--n", "-5"],
                                           ["--k", "301"], ["--axis-weights", "-1", "1", "1"],
                                           ["--axis-weights", "nan", "1", "1"], ["--seed", "-1"]]),
        ("inspect", ["inspect", "sig.h5"], [["--chunk-size", "0"], ["--chunk-size", "-5"], ["-n", "-1"],
                                            ["-n", "0"], ["-n", "x"]]),
        ("score", SCORE + ["-o", "o.h5"], [["--chunk-size", "0"], ["-n", "-1"], ["--threshold", "5"],
                                          ["--config", "cfg.json"]]),
        ("score-fixed", FIX + ["-o", "o.h5"], [["--threshold", "-1"], ["--threshold", "70000"]]),
        ("evaluate", EVAL, [["--methods", "bogus"], ["--methods", "total_pt,bogus"], ["--n-per-set", "0"],
                            ["--n-sets", "0"], ["--n-train", "3", "--methods", "linw2_sorted_k8"],
                            ["--signals", "Z"], ["--jobs", "0"], ["--n-ref", "-1"]]),
        ("knn", KNN, [["--planed-lo", "5,1"], ["--planed-hi", "x"], ["--n-per-set", "0"], ["--n-sets", "-1"],
                      ["--only", "bogus"], ["--signals", "Z"], ["--svm-n-train", "0"]]),
        ("augment", AUG + ["-o", "a.h5"], [["-n", "-5"], ["-n", "0"], ["--start", "-1"],
                                           ["--start", "100000"]]),
        ("export", EXP, [["--n-golden", "-5"], ["--n-golden", "0"]]),
        ("calibrate", CAL, [["--bkg-eff", "0"], ["--bkg-eff", "1.5"], ["--bkg-eff", "nan"]]),
    ]
    for cmd, base, variants in args:
        for v in variants:
            # the argument is named; --start beyond the file names the file
            names = ["bkg.h5", "--start"] if v == ["--start", "100000"] else [v[0]]
            add(f"{cmd}{''.join(v)}", c, base + v, names)
    add("no-such-option", c, SCORE + ["-o", "o.h5", "--bogus"], ["--bogus"])
    add("missing-argument", c, ["score", "model.h5"], ["events"])

    # 7. zero-event files -----------------------------------------------------------
    c = "7 zero events"
    add("train-zero", c, ["train", "zero.h5", "--split", "all", "--k", "2", "-o", "m.h5"], ["zero.h5"])
    add("augment-zero", c, ["methods", "augment", "zero.h5", "-o", "a.h5"], ["zero.h5"])
    add("calibrate-zero", c, ["calibrate", "model.h5", "--bkg-eff", "0.01", "--data", "zero.h5"], ["zero.h5"])
    add("export-zero-sample", c, ["export", "--model", "model.h5", "--out", "exp", "--data", "zero_data"],
        ["zero_data/" + "Ato4l_lepFilter_13TeV.h5", "no events"])
    add("evaluate-zero-background", c, EVAL + ["--background", "zero.h5"], ["zero.h5"])

    # other bad inputs: missing / not HDF5 / missing dataset / wrong shape / bad values ----
    c = "0 bad input file"
    for f, what in (("missing.h5", "not found"), ("notes.txt", "HDF5"), ("no_particles.h5", "Particles"),
                    ("wrong_shape.h5", "shape"), ("existing_dir", "folder")):
        add(f"inspect-{f}", c, ["inspect", f], [f, what])
        add(f"score-{f}", c, ["score", "model.h5", f, "-o", "o.h5"], [f, what])
        add(f"train-{f}", c, ["train", f, "--split", "all", "--k", "2", "-o", "m.h5"], [f, what])
        add(f"augment-{f}", c, ["methods", "augment", f, "-o", "a.h5"], [f, what])
        add(f"calibrate-data-{f}", c, ["calibrate", "model.h5", "--bkg-eff", "0.01", "--data", f], [f, what])
    add("inspect-bad-event", c, ["inspect", "bad_event.h5"], ["bad_event.h5", "event 257"], code=1)
    for f, what in (("bkg_groups_len.h5", "shape (400,)"), ("bkg_groups_float.h5", "integer dtype")):
        tag = f[:-3]
        add(f"evaluate-{tag}", c, EVAL + ["--background", f], [f, "parton_event", what])
        add(f"train-{tag}", c, ["train", f, "--k", "2", "-o", "m.h5"], [f, "parton_event", what])
        add(f"calibrate-{tag}", c, ["calibrate", "model.h5", "--bkg-eff", "0.01", "--data", f],
            [f, "parton_event", what])
    # integer-typed Particles: one rule in every command (refused, naming file and dataset)
    c8 = "8 integer dtype, unreadable chunk"
    dt = ["int_particles.h5", "'Particles'", "floating-point dtype", "int32"]
    add("inspect-int-dtype", c8, ["inspect", "int_particles.h5"], dt)
    add("score-int-dtype", c8, ["score", "model.h5", "int_particles.h5", "-o", "o.h5"], dt)
    add("score-fixed-int-dtype", c8, ["score", "model.h5", "int_particles.h5", "--fixed", "-o", "o.h5"], dt)
    add("train-int-dtype", c8, ["train", "int_particles.h5", "--split", "all", "--k", "2", "-o", "m.h5"], dt)
    add("augment-int-dtype", c8, ["methods", "augment", "int_particles.h5", "-o", "a.h5"], dt)
    add("calibrate-int-dtype", c8, ["calibrate", "model.h5", "--bkg-eff", "0.01", "--data", "int_particles.h5"],
        dt)
    add("evaluate-int-dtype", c8, EVAL + ["--background", "int_particles.h5", "--report", "r.json"], dt)
    add("export-int-dtype", c8, ["export", "--model", "model.h5", "--out", "exp", "--data", "int_data"],
        ["int_data/" + "Ato4l_lepFilter_13TeV.h5", "floating-point dtype", "int32"])
    # an unreadable chunk: the location is the range of events of that chunk
    cc = ["corrupt_chunk.h5", "'Particles'", "events 200..299", "corrupt"]
    add("inspect-corrupt-chunk", c8, ["inspect", "corrupt_chunk.h5"], cc)
    add("score-corrupt-chunk", c8, ["score", "model.h5", "corrupt_chunk.h5", "-o", "o.h5"], cc)
    add("score-corrupt-chunk-100", c8, ["score", "model.h5", "corrupt_chunk.h5", "--chunk-size", "100",
                                        "-o", "o.h5"], cc)
    add("train-corrupt-chunk", c8, ["train", "corrupt_chunk.h5", "--split", "all", "--k", "2", "-o", "m.h5"],
        cc)
    add("augment-corrupt-chunk", c8, ["methods", "augment", "corrupt_chunk.h5", "-n", "300", "-o", "a.h5"],
        cc)
    # a bad event among export's sample events: refused as `score` refuses it
    add("export-bad-sample-event", c8, ["export", "--model", "model.h5", "--out", "exp", "--data", "bad_data",
                                        "--n-golden", "100"],
        ["bad_data/Ato4l_lepFilter_13TeV.h5", "event 257", "slot 3", "eta", "--on-bad-event skip"])
    add("train-bad-event", c, ["train", "bad_event.h5", "--split", "all", "--k", "2", "-o", "m.h5"],
        ["bad_event.h5", "event 257", "slot 3", "eta"])

    # valid runs: the discipline keeps them working -------------------------------------
    c = "valid"
    add("ok-score", c, SCORE + ["--chunk-size", "100", "-o", "out/s.h5"], bad=False, code=0,
        check=_check_score(300))
    add("ok-score-skip", c, ["score", "model.h5", "bad_event.h5", "--chunk-size", "100", "--on-bad-event", "skip",
                             "-o", "s.h5"], bad=False, code=0, check=_check_score(299, "s.h5"))
    add("ok-score-zero", c, ["score", "model.h5", "zero.h5", "-o", "s.h5"], bad=False, code=0,
        check=_check_score(0, "s.h5"))
    add("ok-score-replaces-output", c, SCORE + ["-o", "notes.txt"], bad=False, code=0,
        check=_check_score(300, "notes.txt"))
    add("ok-inspect-zero", c, ["inspect", "zero.h5"], bad=False, code=0, check=_check_stdout("0 events"))
    add("ok-train", c, TRAIN + ["-o", "new/m.h5"], bad=False, code=0, check=_check_model("new/m.h5", 4))
    add("calibrate-small-background", "0 bad input file", CAL[:-1] + ["small_data/background_for_training.h5"],
        ["small_data/background_for_training.h5", "need more than"])
    add("ok-calibrate-in-place", c, ["calibrate", "model.h5", "--bkg-eff", "0.05", "--data", BKG], bad=False,
        code=0, check=_check_calibrated)
    add("ok-export-skips-bad-events", c, ["export", "--model", "model.h5", "--out", "exp", "--data", "bad_data",
                                         "--n-golden", "100", "--on-bad-event", "skip"], bad=False, code=0,
        check=_check_export)
    add("ok-evaluate-table-new-folder", c, EVAL[:2] + [DATA] + EVAL[3:] + ["--n-calib", "100", "--report",
                                                                          "r/e.json", "--table", "t/t.md",
                                                                          "--figures", ""],
        bad=False, code=0, check=_check_files("r/e.json", "t/t.md"))
    add("ok-evaluate-parton-groups", c, EVAL[:2] + ["group_data"] + EVAL[3:] + ["--report", "g/e.json",
                                                                               "--figures", ""],
        bad=False, code=0, check=_check_files("g/e.json"))
    add("ok-knn-report", c, KNN[:3] + [DATA] + KNN[4:] + ["--n-sets", "1", "--n-per-set", "50", "--cache-dir",
                                                          "cache", "--report", "sub/r.json"],
        bad=False, code=0, slow=True, check=_check_knn)
    return C


def _check_score(n, path="out/s.h5"):
    def check(root, out):
        with h5py.File(os.path.join(root, path)) as f:
            assert f.attrs["complete"] and f.attrs["n_events"] == n == f["score"].shape[0], dict(f.attrs)
    return check


def _check_calibrated(root, out):
    from l1ot.ot import linot
    m = linot.LinModel.load(os.path.join(root, "model.h5"))
    assert m.meta["threshold_bkg_eff"] == 0.05 and m.threshold is not None, m.meta
    assert not [n for n in os.listdir(root) if n.startswith(".")], os.listdir(root)


def _check_stdout(text):
    def check(root, out):
        assert text in out, out
    return check


def _check_model(path, k):
    def check(root, out):
        from l1ot.ot import linot
        assert linot.LinModel.load(os.path.join(root, path)).k == k
    return check


def _check_files(*paths):
    def check(root, out):
        for p in paths:
            assert os.path.getsize(os.path.join(root, p)) > 0, p
    return check


def _check_export(root, out):
    for n in ("golden.txt", "parameters.h", "l1ot_params_pkg.sv", "export.json"):
        assert os.path.getsize(os.path.join(root, "exp", n)) > 0, n
    assert "bad_data/Ato4l_lepFilter_13TeV.h5: 1 bad event(s) skipped" in out, out
    assert not [n for n in os.listdir(os.path.join(root, "exp")) if n.startswith(".")]


def _check_knn(root, out):
    for n in ("r.json", "paper_methods.json", "paper_methods.md"):
        assert os.path.getsize(os.path.join(root, "sub", n)) > 0, n
    assert not os.path.exists(os.path.join(root, "reports")), "wrote into ./reports despite --report"


CASES = _cases()


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
@dataclass
class Result:
    case: Case
    code: int
    out: str
    err: str
    problems: list

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.err or self.code == 3 or "internal error" in self.err

    @property
    def exit0_on_bad(self) -> bool:
        return self.case.bad and self.code == 0

    @property
    def changed(self) -> bool:
        return any(p.startswith("files changed") for p in self.problems)


def run_case(case: Case, root) -> Result:
    """Run ``case`` in folder ``root`` (an environment from :func:`build_env`)."""
    from l1ot.cli import main

    before = snapshot(root)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(case.argv))
            except SystemExit as exc:  # main must not raise it, but count it if it does
                code = exc.code if isinstance(exc.code, int) else 2
                print(f"SystemExit escaped main: {exc.code!r}", file=err)
            except BaseException as exc:  # noqa: BLE001 - an escaped exception is a traceback
                import traceback
                code = -1
                err.write("Traceback (escaped main)\n" + "".join(traceback.format_exception(exc)))
    finally:
        os.chdir(cwd)
    out, err = out.getvalue(), err.getvalue()
    problems = []
    if code != case.code:
        problems.append(f"exit code {code}, expected {case.code}")
    if "Traceback" in err:
        problems.append("traceback")
    errors = [ln for ln in err.splitlines() if "error:" in ln]
    if case.code == 1:  # inspect: the validation summary on stdout names the file and the event
        for n in case.names:
            if n not in out:
                problems.append(f"output does not name {n!r}")
    elif case.code == 2:
        if len(errors) != 1:
            problems.append(f"{len(errors)} error lines, expected 1")
        else:
            for n in case.names:
                if n not in errors[0]:
                    problems.append(f"error line does not name {n!r}")
        if [ln for ln in err.splitlines() if ln.strip() and "error:" not in ln and not _usage(ln)]:
            problems.append("stderr holds more than the usage and the error line")
    if case.bad or case.code != 0:
        after = snapshot(root)
        if after != before:
            diff = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            problems.append("files changed: " + ", ".join(diff))
    elif case.check and code == 0:
        try:
            case.check(root, out)
        except Exception as exc:  # noqa: BLE001 - any failure of the check is a failed row
            problems.append(f"output check failed: {type(exc).__name__}: {exc}")
    return Result(case, code, out, err, problems)


def _usage(line: str) -> bool:
    """A line of argparse's usage block, or of a progress bar (tqdm, on stderr)."""
    return line.startswith("usage:") or line.startswith(" ") or "%|" in line


def summarize(results) -> dict:
    bad = [r for r in results if r.case.bad]
    return {"cases": len(results), "bad_input_cases": len(bad), "valid_cases": len(results) - len(bad),
            "tracebacks": sum(r.traceback for r in results),
            "exit0_on_bad_input": sum(r.exit0_on_bad for r in results),
            "partial_or_destroyed_outputs": sum(r.changed for r in results),
            "failed_checks": sum(bool(r.problems) for r in results)}
