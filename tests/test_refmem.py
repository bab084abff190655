"""l1ot.export.refmem: medoid words, load file, target check (issue 24, reloadable top).

Expected words are worked by hand from the field layout of the default precision config;
the RTL side (bus, banks, commit timing) is tested by testbench/l1ot_refmem.
"""
from __future__ import annotations

import numpy as np
import pytest

from l1ot.errors import ConfigError
from l1ot.export import refmem
from l1ot.kernel import fixed


@pytest.fixture(scope="module")
def cfg():
    return fixed.KernelConfig.load(None)


def _rom(k, seed=3):
    rng = np.random.default_rng(seed)
    rom = np.zeros((k, 19, 3), np.int64)
    rom[..., 0] = rng.integers(0, 1 << 10, (k, 19))
    rom[..., 1] = rng.integers(-32, 32, (k, 19))
    rom[..., 2] = rng.integers(-16, 16, (k, 19))
    return rom


def test_word_layout_by_hand(cfg):
    assert (cfg.x_bits["pt"], cfg.x_bits["eta"], cfg.x_bits["phi"]) == (14, 6, 5)
    rom = np.zeros((1, 19, 3), np.int64)
    rom[0, 0] = (3, -1, 2)        # pt 3 << 11 | eta 0b111111 << 5 | phi 2
    rom[0, 1] = (0x3FFF, -32, -16)  # all pt bits | eta 0b100000 << 5 | phi 0b10000
    w = refmem.pack_words(rom, cfg)
    assert int(w[0]) == (3 << 11) | (0x3F << 5) | 2 == 8162
    assert int(w[1]) == (0x3FFF << 11) | (0x20 << 5) | 0x10
    assert w.shape == (19,) and int(w[2]) == 0
    assert np.array_equal(refmem.unpack_words(w, cfg, 1), rom)


def test_load_file_round_trip_and_map(cfg, tmp_path):
    rom = _rom(8)
    p = tmp_path / "load.txt"
    p.write_text(refmem.load_file_text(cfg, rom, "l1ot_k8", "ab" * 32))
    ld = refmem.read_load_file(p)
    assert ld["header"]["k"] == "8" and ld["header"]["transport"] == cfg.transport
    addrs = [a for a, _ in ld["writes"]]
    assert addrs == list(range(8 * 19)) + [0xF00] and ld["writes"][-1][1] == 1
    words = [v for _, v in ld["writes"][:-1]]
    assert np.array_equal(refmem.unpack_words(words, cfg, 8), rom)
    xml = refmem.address_table_xml(cfg, 8, "l1ot_k8")
    assert 'size="152"' in xml and 'address="0xf00"' in xml and 'permission="w"' in xml


def test_target_mismatch_is_one_line(cfg, tmp_path):
    tgt = tmp_path / "export_k8"
    tgt.mkdir()
    (tgt / "l1ot_params_pkg.sv").write_text("package l1ot_k8_params_pkg;\nendpackage\n")
    (tgt / refmem.LOAD_FILE).write_text(refmem.load_file_text(cfg, _rom(8), "l1ot_k8"))
    ok = refmem.write_load_for(tgt, cfg, None, _rom(8, seed=9), tmp_path / "b.txt")
    assert refmem.read_load_file(ok)["header"]["name"] == "l1ot_k8"
    dst = tmp_path / "k4.txt"
    with pytest.raises(ConfigError) as exc:
        refmem.write_load_for(tgt, cfg, None, _rom(4), dst)
    msg = str(exc.value)
    assert "\n" not in msg and "k 4" in msg and "k 8" in msg and "another K or config" in msg
    assert not dst.exists() and not list(tmp_path.glob(".k4.txt.*"))
    # another precision config: the config sha differs
    other = (tgt / refmem.LOAD_FILE).read_text().replace(cfg.sha256, "0" * 64)
    (tgt / refmem.LOAD_FILE).write_text(other)
    with pytest.raises(ConfigError, match="config_sha256"):
        refmem.write_load_for(tgt, cfg, None, _rom(8), dst)


def test_bad_load_files(cfg, tmp_path):
    p = tmp_path / "x.txt"
    good = refmem.load_file_text(cfg, _rom(2), "l1ot_k2")
    p.write_text(good.replace("0x0003 ", "0x0003 zz", 1))
    with pytest.raises(ConfigError, match="line 14"):
        refmem.read_load_file(p)
    p.write_text("\n".join(good.splitlines()[:-1]) + "\n")
    with pytest.raises(ConfigError, match="does not end with the commit"):
        refmem.read_load_file(p)
    p.write_text(good.replace("# k 2\n", ""))
    with pytest.raises(ConfigError, match="no '# k' header"):
        refmem.read_load_file(p)
    with pytest.raises(ConfigError, match="do not fit"):
        refmem.layout(cfg, 203)   # 203 * 19 = 3857 words > 0xF00
