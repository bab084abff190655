"""Golden-vector file parser (``l1ot.export.vectorfile``) against hand-written files.

The files are typed here line by line from the format of docs/kernel.md ("Golden
vectors"), not produced by the writer, so the reader is checked against the
format, and every defect it must refuse is planted by hand.
"""
from __future__ import annotations

import numpy as np
import pytest

from l1ot.errors import DataError
from l1ot.export.vectorfile import read_golden

HEADER = ("# l1ot golden vectors v1\n"
          "# config_sha256 ab  model_sha256 cd  rom_sha256 ef  K 2  threshold 5  n_obj 19  word_bits 43  "
          "score_bits 16  score_shift 0  idx_bits 1  transport sorted  network sort19  n_events {n}\n"
          "# columns: w0 .. w18 score idx trig  # category\n")
#: event 0: slot 0 holds 0x7ffffffffff (the widest 43-bit word), slot 18 holds 1; event 1: all 0x2a
ROW0 = ["7ffffffffff"] + ["00000000000"] * 17 + ["00000000001"] + ["ffff", "1", "1"]
ROW1 = ["0000000002a"] * 19 + ["0004", "0", "0"]


def _write(tmp_path, rows, n=None, tags=("empty", "")):
    text = HEADER.format(n=len(rows) if n is None else n)
    for r, t in zip(rows, tags):
        text += " ".join(r) + (f"  # {t}" if t else "") + "\n"
    p = tmp_path / "golden.txt"
    p.write_text(text)
    return p


def test_hand_written_file_is_read_exactly(tmp_path):
    hdr, words, score, idx, trig, tags = read_golden(_write(tmp_path, [ROW0, ROW1]))
    assert hdr["K"] == 2 and hdr["n_obj"] == 19 and hdr["threshold"] == 5 and hdr["network"] == "sort19"
    assert words.dtype == np.uint64 and words.shape == (2, 19)
    assert int(words[0, 0]) == (1 << 43) - 1 and int(words[0, 18]) == 1 and not words[0, 1:18].any()
    assert (words[1] == 42).all()
    assert score.tolist() == [65535, 4] and idx.tolist() == [1, 0] and trig.tolist() == [1, 0]
    assert tags == ["empty", ""]


@pytest.mark.parametrize("row, where, msg", [
    (1, 21, "trigger bit 2 is not 0 or 1"),
    (0, 0, "word wider than 43 bits"),
])
def test_bad_field_is_refused_naming_the_line(tmp_path, row, where, msg):
    rows = [list(ROW0), list(ROW1)]
    rows[row][where] = "2" if where == 21 else "80000000000"   # 2^43: one bit too wide
    with pytest.raises(DataError, match=f"line {4 + row}: {msg}") as e:
        read_golden(_write(tmp_path, rows))
    if where == 0:
        assert e.value.slot == 0


def test_event_count_must_match_the_header(tmp_path):
    with pytest.raises(DataError, match="n_events 2, file has 1"):
        read_golden(_write(tmp_path, [ROW0], n=2))          # a truncated file
    with pytest.raises(DataError, match="n_events 1, file has 2"):
        read_golden(_write(tmp_path, [ROW0, ROW1], n=1))
