"""ADC2021 file-naming variants: folders written under each naming, overrides, refusals."""
from __future__ import annotations

import json

import pytest

from l1ot.cli import main
from l1ot.errors import ConfigError
from l1ot.io import data, naming
from fixtures import toy_events

BARE = {k: s + ".h5" for k, s in naming.SIGNAL_STEMS.items()}
FILTERED = {k: s + "_filtered.h5" for k, s in naming.SIGNAL_STEMS.items()}
# the names the challenge files come under (bare = bundled data/, _filtered = challenge selection)
assert BARE["A"] == "Ato4l_lepFilter_13TeV.h5" and BARE["h0"] == "hToTauTau_13TeV_PU20.h5"
assert FILTERED["hpm"] == "hChToTauNu_13TeV_PU20_filtered.h5"
assert FILTERED["LQ"] == "leptoquark_LOWMASS_lepFilter_13TeV_filtered.h5"


def _write(folder, names, background=True, n_sig=120):
    folder.mkdir(parents=True, exist_ok=True)
    if background:
        data.write_events(folder / "background_for_training.h5", toy_events(700, seed=1, pt_scale=20))
    for i, (k, n) in enumerate(names.items()):
        data.write_events(folder / n, toy_events(n_sig, seed=10 + i, pt_scale=20 + 15 * i, fill=0.5 + 0.1 * i))
    return folder


@pytest.mark.parametrize("names", [BARE, FILTERED, {"A": FILTERED["A"], "h0": BARE["h0"], "hpm": FILTERED["hpm"],
                                                    "LQ": BARE["LQ"]}], ids=["bare", "filtered", "mixed"])
def test_resolve_each_naming(tmp_path, names):
    d = _write(tmp_path / "d", names)
    f = naming.resolve(str(d), list(naming.SIGNAL_STEMS))
    assert f.background == str(d / "background_for_training.h5")
    assert f.signals == {k: str(d / n) for k, n in names.items()}


def test_case_insensitive_and_blackbox_listed_not_used(tmp_path):
    d = _write(tmp_path / "d", {"A": "ATO4L_LEPFILTER_13TEV_FILTERED.H5"}, background=False)
    data.write_events(d / "BlackBox_background_mix.h5", toy_events(50, seed=3))
    with pytest.raises(ConfigError) as e:
        naming.resolve(str(d), ["A"])
    msg = str(e.value)
    assert "BlackBox_background_mix.h5 is the challenge's black box" in msg and "--background PATH" in msg
    f = naming.resolve(str(d), ["A"], background=str(d / "BlackBox_background_mix.h5"))
    assert f.signals["A"].endswith("ATO4L_LEPFILTER_13TEV_FILTERED.H5")
    assert f.blackbox == [str(d / "BlackBox_background_mix.h5")]


def test_ambiguous_folder_refused_listing_what_was_found(tmp_path):
    d = _write(tmp_path / "d", BARE)
    _write(d, {"h0": FILTERED["h0"]}, background=False)
    with pytest.raises(ConfigError) as e:
        naming.resolve(str(d), ["A", "h0"])
    msg = str(e.value)
    assert "ambiguous for signal h0" in msg
    assert "hToTauTau_13TeV_PU20.h5 and hToTauTau_13TeV_PU20_filtered.h5" in msg
    assert "Ato4l_lepFilter_13TeV.h5" in msg and "--signal h0=PATH" in msg
    # not needed -> not ambiguous; an explicit mapping resolves it
    assert naming.resolve(str(d), ["A"]).signals["A"].endswith(BARE["A"])
    f = naming.resolve(str(d), ["A", "h0"], signal_paths={"h0": str(d / FILTERED["h0"])})
    assert f.signals["h0"].endswith(FILTERED["h0"])


def test_missing_and_bad_overrides(tmp_path):
    d = _write(tmp_path / "d", {"A": BARE["A"]})
    with pytest.raises(ConfigError, match="no file for signal LQ .*found background: background_for_training.h5; A:"):
        naming.resolve(str(d), ["A", "LQ"])
    with pytest.raises(ConfigError, match="does not exist"):
        naming.resolve(str(tmp_path / "nowhere"), ["A"])
    with pytest.raises(ConfigError, match="--signal LQ: file .* does not exist"):
        naming.resolve(str(d), ["LQ"], signal_paths={"LQ": str(d / "x.h5")})
    with pytest.raises(ConfigError, match="needs NAME=PATH"):
        naming.parse_signal_args(["A"])
    with pytest.raises(ConfigError, match="unknown signal 'B'"):
        naming.parse_signal_args(["B=x.h5"])
    with pytest.raises(ConfigError, match="given twice"):
        naming.parse_signal_args(["A=x.h5", "A=y.h5"])


def test_evaluate_runs_on_a_filtered_folder(tmp_path, capsys):
    d = _write(tmp_path / "adc2021", FILTERED)
    rep = tmp_path / "rep.json"
    assert main(["evaluate", "--data", str(d), "--methods", "total_pt,met", "--n-sets", "2", "--n-per-set", "50",
                 "--n-calib", "100", "--jobs", "1", "--report", str(rep), "--figures", ""]) == 0
    r = json.loads(rep.read_text())
    assert set(r["total_pt"]) == set(naming.SIGNAL_STEMS)
    assert r["_meta"]["settings"]["signals"]["LQ"]["path"].endswith(FILTERED["LQ"])


def test_evaluate_maps_files_with_signal_and_background(tmp_path, capsys):
    d = _write(tmp_path / "odd", {"A": "my_ato4l.h5", "LQ": "lq.h5"}, background=False)
    data.write_events(d / "bkg.h5", toy_events(700, seed=1, pt_scale=20))
    rep = tmp_path / "rep.json"
    args = ["evaluate", "--data", str(d), "--signals", "A,LQ", "--methods", "total_pt", "--n-sets", "2",
            "--n-per-set", "50", "--n-calib", "100", "--jobs", "1", "--report", str(rep), "--figures", ""]
    assert main(args) == 2
    assert "no background_for_training.h5" in capsys.readouterr().err
    assert main(args + ["--background", str(d / "bkg.h5"), "--signal", f"A={d / 'my_ato4l.h5'}",
                        "--signal", f"LQ={d / 'lq.h5'}"]) == 0
    r = json.loads(rep.read_text())
    assert set(r["total_pt"]) == {"A", "LQ"}
    assert r["_meta"]["settings"]["background"]["path"].endswith("bkg.h5")


def test_ambiguous_folder_is_one_clear_cli_error(tmp_path, capsys):
    d = _write(tmp_path / "d", BARE)
    _write(d, FILTERED, background=False)
    assert main(["evaluate", "--data", str(d), "--methods", "met", "--report", str(tmp_path / "r.json"),
                 "--figures", ""]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "ambiguous for signal" in err
    assert not (tmp_path / "r.json").exists()


def test_same_files_under_other_names_extend_the_report(tmp_path, capsys):
    """The challenge names of the same files are the same input: the report accepts the rows."""
    bare = _write(tmp_path / "bare", BARE)
    filt = tmp_path / "filtered"
    filt.mkdir()
    for k in BARE:
        (filt / FILTERED[k]).symlink_to(bare / BARE[k])
    (filt / "background_for_training.h5").symlink_to(bare / "background_for_training.h5")
    rep = tmp_path / "rep.json"
    common = ["--n-sets", "2", "--n-per-set", "50", "--n-calib", "100", "--jobs", "1", "--report", str(rep),
              "--figures", ""]
    assert main(["evaluate", "--data", str(bare), "--methods", "total_pt"] + common) == 0
    assert main(["evaluate", "--data", str(filt), "--methods", "met"] + common) == 0
    r = json.loads(rep.read_text())
    assert {"total_pt", "met"} <= set(r)
