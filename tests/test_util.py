"""Small helpers: report paths relative to the working directory; log-friendly progress bars."""
import os

from l1ot.kernel import fixed
from l1ot.paths import shown


def test_shown_inside_and_outside(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert shown(tmp_path / "a" / "b" / "c.txt") == os.path.join("b", "c.txt")
    outside = str(tmp_path / "z.txt")
    assert shown(outside) == outside


def test_config_source_is_relative_from_repo(repo, monkeypatch):
    monkeypatch.chdir(repo)
    cfg = fixed.KernelConfig.load()
    assert not os.path.isabs(cfg.source)
    assert cfg.source.endswith("kernel_default.json")


def test_progress_bar_is_sparse_off_a_terminal(capsys):
    from l1ot.progress import bar

    # pytest captures stderr, so this is the "not a terminal" case
    b = bar(range(1000), desc="t")
    assert b.mininterval == 30.0
    assert list(b) == list(range(1000))
    b.close()
