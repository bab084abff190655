"""The output rules of ``l1ot.outputs`` stated directly: an existing output's permissions are kept
when it is replaced, a fresh output gets the umask's, folders made for a failed run are removed (and
only those), nothing temporary is left, and an output that is an input is refused.
"""
from __future__ import annotations

import os
import stat

import pytest

from l1ot import outputs


def _umask():
    old = os.umask(0)
    os.umask(old)
    return old


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o755])
def test_replaced_output_keeps_its_permissions(tmp_path, mode):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, mode)
    with outputs.Transaction() as tx:
        with open(tx.file(target), "w") as fh:
            fh.write("new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == mode
    with outputs.Transaction() as tx:   # an in-place update through a copy as well
        p = tx.copy(target)
        with open(p, "a") as fh:
            fh.write("+")
    assert target.read_text() == "new+" and stat.S_IMODE(os.stat(target).st_mode) == mode
    assert [q.name for q in tmp_path.iterdir()] == ["out.txt"]


def test_new_output_gets_the_umask_mode(tmp_path):
    with outputs.Transaction() as tx:
        with open(tx.file(tmp_path / "fresh.txt"), "w") as fh:
            fh.write("x")
        fo = tx.folder(tmp_path / "figs")
        with open(os.path.join(fo, "a.png"), "w") as fh:
            fh.write("x")
        os.close(os.open(os.path.join(fo, "b.pdf"), os.O_CREAT | os.O_WRONLY, 0o600))   # as mkstemp makes them
    assert stat.S_IMODE(os.stat(tmp_path / "fresh.txt").st_mode) == 0o666 & ~_umask()
    for name in ("a.png", "b.pdf"):
        assert stat.S_IMODE(os.stat(tmp_path / "figs" / name).st_mode) == 0o666 & ~_umask()


def test_failed_run_removes_the_folders_it_made_and_only_those(tmp_path):
    keep = tmp_path / "existing"
    keep.mkdir()
    with pytest.raises(RuntimeError):
        with outputs.Transaction() as tx:
            tx.file(keep / "new" / "deeper" / "out.h5")
            tx.folder(tmp_path / "figs" / "sub")
            tx.file(keep / "x.json")
            raise RuntimeError("the command failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]
    assert list(keep.iterdir()) == []
    # on success the folders stay, with the outputs in them
    with outputs.Transaction() as tx:
        with open(tx.file(keep / "new" / "deeper" / "out.h5"), "w") as fh:
            fh.write("x")
    assert (keep / "new" / "deeper" / "out.h5").read_text() == "x"
    assert [p.name for p in (keep / "new" / "deeper").iterdir()] == ["out.h5"]


def test_failed_replace_leaves_the_old_output(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with outputs.Transaction() as tx:
            with open(tx.file(target), "w") as fh:
                fh.write("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_check_refuses_an_output_that_is_an_input(tmp_path):
    from l1ot.errors import OutputError

    f = tmp_path / "in.h5"
    f.write_text("x")
    link = tmp_path / "link.h5"
    os.symlink(f, link)
    for out in (f, link, tmp_path / "." / "in.h5"):
        with pytest.raises(OutputError, match="is the input"):
            outputs.check(outputs=[out], inputs=[f])
    with pytest.raises(OutputError, match="same file"):
        outputs.check(outputs=[tmp_path / "a", tmp_path / "." / "a"])
    outputs.check(outputs=[tmp_path / "new" / "out.h5"], inputs=[f])   # a creatable folder is fine
    assert not (tmp_path / "new").exists()                               # and check makes nothing
