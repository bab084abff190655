"""Data layer: reading, writing, streaming, and one test per validation error."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from l1ot.io import data
from l1ot import errors
from l1ot.cli import main
from fixtures import toy_events


def _write_raw(path, arr, name="Particles"):
    with h5py.File(path, "w") as f:
        f.create_dataset(name, data=arr)
    return str(path)


def test_roundtrip_and_metadata(tmp_path):
    ev = toy_events(50)
    p = tmp_path / "ok.h5"
    data.write_events(p, ev, attrs={"description": "fixture"})
    back = data.load(p)
    np.testing.assert_array_equal(back, ev)
    meta = data.read_metadata(p)
    assert meta["Particles_Names"] == ["Pt", "Eta", "Phi", "Class"]
    assert len(meta["Particles_Classes"]) == 4
    assert meta["attrs"]["description"] == "fixture"
    assert data.count(p) == 50


def test_streaming_chunks_cover_file_once(tmp_path):
    ev = toy_events(1003, seed=1)
    p = tmp_path / "s.h5"
    data.write_events(p, ev)
    seen = []
    for idx, block in data.iter_chunks(p, chunk_size=100):
        assert block.shape[0] <= 100
        seen.append(idx)
        np.testing.assert_array_equal(block, ev[idx])
    np.testing.assert_array_equal(np.concatenate(seen), np.arange(1003))
    part = data.load(p, n=10, start=500)
    np.testing.assert_array_equal(part, ev[500:510])


def test_chunk_writer(tmp_path):
    ev = toy_events(300, seed=2)
    p = tmp_path / "w.h5"
    with data.ChunkWriter(p) as w:
        for i in range(0, 300, 64):
            w.append(ev[i:i + 64])
    np.testing.assert_array_equal(data.load(p), ev)


@pytest.mark.parametrize(
    "mutate, err, field, slot",
    [
        (lambda e: e.__setitem__((7, 3, 0), np.nan), errors.NonFiniteError, "pT", 3),
        (lambda e: e.__setitem__((7, 9, 1), np.inf), errors.NonFiniteError, "eta", 9),
        (lambda e: e.__setitem__((7, 0, 0), -1.0), errors.NegativePtError, "pT", 0),
        (lambda e: e.__setitem__((7, 9, 1), 5.5), errors.RangeError, "eta", 9),
        (lambda e: e.__setitem__((7, 9, 2), 3.3), errors.RangeError, "phi", 9),
        (lambda e: e.__setitem__((7, 1, 3), 3.0), errors.ClassIdError, "class", 1),
        (lambda e: e.__setitem__((7, 18), (20.0, 0.1, 0.1, 2.0)), errors.ClassIdError, "class", 18),
        (lambda e: e.__setitem__((7, 17), (5.0, 0.0, 0.0, 0.0)), errors.EmptySlotError, "pT/eta/phi", 17),
    ],
)
def test_each_validation_error_names_file_event_slot(tmp_path, mutate, err, field, slot):
    ev = toy_events(20, seed=3)
    ev[7, 17] = 0  # make slot 17 empty for the empty-slot case
    ev[7, 18] = 0
    mutate(ev)
    path = _write_raw(tmp_path / "bad.h5", ev)
    with pytest.raises(err) as exc:
        data.load(path)
    e = exc.value
    assert (e.file, e.dataset, e.event, e.slot, e.field) == (path, "Particles", 7, slot, field)
    msg = str(e)
    assert "bad.h5" in msg and "event 7" in msg and f"slot {slot}" in msg


def test_event_index_is_file_index_across_chunks(tmp_path):
    ev = toy_events(250, seed=4)
    ev[213, 2, 1] = np.nan
    path = _write_raw(tmp_path / "bad.h5", ev)
    with pytest.raises(errors.NonFiniteError, match="event 213"):
        data.load(path, chunk_size=100)


def test_skip_policy_counts_and_drops(tmp_path):
    ev = toy_events(40, seed=5)
    ev[3, 0, 0] = -5
    ev[11, 5, 2] = 4.0
    ev[11, 6, 2] = 4.0  # same event, two problems: counted once in n_bad
    ev[20, 12, 3] = 1
    path = _write_raw(tmp_path / "bad.h5", ev)
    rep = data.ValidationReport()
    good = data.load(path, on_bad_event="skip", report=rep)
    assert good.shape[0] == 37 and rep.n_bad == 3
    assert rep.reasons["negative_pt"] == 1 and rep.reasons["phi_range"] == 1 and rep.reasons["class_id"] == 1
    np.testing.assert_array_equal(good, np.delete(ev, [3, 11, 20], axis=0))


def test_missing_dataset(tmp_path):
    path = _write_raw(tmp_path / "x.h5", toy_events(3), name="Other")
    with pytest.raises(errors.MissingDatasetError, match="Particles.*not found.*Other"):
        data.load(path)


@pytest.mark.parametrize("shape", [(5, 19, 3), (5, 18, 4), (5, 76)])
def test_wrong_shape(tmp_path, shape):
    path = _write_raw(tmp_path / "x.h5", np.zeros(shape, np.float32))
    with pytest.raises(errors.ShapeError, match=r"expected shape \(N, 19, 4\)"):
        data.load(path)


def test_wrong_dtype(tmp_path):
    path = _write_raw(tmp_path / "x.h5", np.zeros((3, 19, 4), dtype="S4"))
    with pytest.raises(errors.ShapeError, match="numeric dtype"):
        data.load(path)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint16", "int8"])
def test_integer_dtype_refused_by_every_reader(tmp_path, dtype):
    """One rule: an integer Particles dataset is refused by count, load, iter_chunks and inspect."""
    path = _write_raw(tmp_path / "i.h5", toy_events(5).astype(dtype))
    for read in (data.count, data.load, lambda p: list(data.iter_chunks(p)), data.inspect_file,
                 lambda p: data.load_groups(p)):
        with pytest.raises(errors.DTypeError, match=f"floating-point dtype.*got {dtype}") as ei:
            read(path)
        assert (ei.value.file, ei.value.dataset, ei.value.event) == (path, "Particles", None)
    for dtype in ("float32", "float64", "float16"):  # every float is accepted (values as stored)
        ok = _write_raw(tmp_path / f"{dtype}.h5", toy_events(5).astype(dtype))
        assert data.count(ok) == 5


def test_unreadable_chunk_named_by_its_event_range(tmp_path):
    """A storage chunk that does not decompress is named as the range of events it holds,
    whatever the read chunk size, and the events before it are delivered."""
    ev = toy_events(1000, seed=9)
    path = str(tmp_path / "c.h5")
    with h5py.File(path, "w") as f:
        f.create_dataset("Particles", data=ev, chunks=(128, 19, 4), compression="gzip")
    with h5py.File(path, "r") as f:
        info = f["Particles"].id.get_chunk_info(3)      # events 384..511
    with open(path, "r+b") as f:
        f.seek(info.byte_offset + 8)
        f.write(b"\xff" * 48)
    for chunk_size, delivered in ((100_000, 0), (1000, 0), (100, 300), (384, 384), (50, 350), (1, 384)):
        got = []
        with pytest.raises(errors.CorruptFileError) as ei:
            for idx, _ in data.iter_chunks(path, chunk_size=chunk_size):
                got.extend(idx)
        e = ei.value
        assert e.events == (384, 512) and e.event is None, (chunk_size, e.events)
        assert "events 384..511" in str(e) and "event 0" not in str(e), str(e)
        assert got == list(range(delivered)), chunk_size
    # one event of the chunk read alone: the location is still the whole unreadable chunk
    with pytest.raises(errors.CorruptFileError, match=r"'Particles', events 384..511: cannot read"):
        data.load(path, start=400, n=1)
    # a contiguous (unchunked) dataset has no smaller unit: the range read is named
    e = errors.CorruptFileError("x", file="f.h5", dataset="Particles", events=(7, 8))
    assert str(e) == "file f.h5, dataset 'Particles', event 7: x"


def test_missing_file(tmp_path):
    with pytest.raises(errors.DataError, match="not found"):
        data.load(tmp_path / "nope.h5")


def test_not_hdf5_and_truncated(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"this is not an HDF5 file" * 10)
    with pytest.raises(errors.CorruptFileError, match="cannot open"):
        data.load(junk)
    ev = toy_events(20000, seed=6)
    good = tmp_path / "good.h5"
    data.write_events(good, ev)
    raw = good.read_bytes()
    trunc = tmp_path / "trunc.h5"
    trunc.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(errors.CorruptFileError):
        data.load(trunc)


def test_cli_errors_are_one_line(tmp_path, capsys):
    ev = toy_events(10, seed=7)
    ev[4, 2, 0] = np.nan
    path = _write_raw(tmp_path / "bad.h5", ev)
    code = main(["train", path, "--k", "2", "--split", "all", "-o", str(tmp_path / "m.h5")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "event 4" in err and "Traceback" not in err


def test_inspect_command(tmp_path, capsys):
    ev = toy_events(120, seed=8)
    p = tmp_path / "ok.h5"
    data.write_events(p, ev)
    assert main(["inspect", str(p)]) == 0
    out = capsys.readouterr().out
    assert "events     120" in out and "all valid" in out
    mult = data.multiplicities(ev)
    assert f"{mult['jet'].mean():9.3f}" in out
    ev[5, 0, 0] = -1
    bad = _write_raw(tmp_path / "bad.h5", ev)
    assert main(["inspect", bad]) == 1
    out = capsys.readouterr().out
    assert "1 bad" in out and "event 5" in out
