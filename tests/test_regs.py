"""The register map of l1ot_regbank: uhal tables against the SV package (``l1ot.export.regs``).

Both are generated from one description; this parses the two outputs independently
(the package with a regular expression, the XML with ElementTree, addresses summed
down the node hierarchy as uhal does) and checks that they agree: every address
localparam of the package is the address of its XML node, the widths, N and the
reset thresholds, the layout rules of the contract (unique words, regbank below
0x1000, top table with the regbank at 0x0000 and the memory slave at 0x1000).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from l1ot.export import regs
from l1ot.kernel import fixed


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    cfg = fixed.KernelConfig.load()
    thr = [5, 17, 99, 300, 1000, 4096, 30000, cfg.score_max]
    rc = regs.reg_config(cfg, 32, thr, "abc_k32", "2.7.1")
    out = tmp_path_factory.mktemp("regs")
    files = regs.write_all(rc, out, slaves=("regs", "refmem"))
    return cfg, rc, out, files


def _xml_leaves(path):
    out = {}

    def walk(e, prefix, base):
        for c in e.findall("node"):
            a = base + int(c.get("address", "0"), 16)
            p = f"{prefix}.{c.get('id')}" if prefix else c.get("id")
            if len(c):
                walk(c, p, a)
            else:
                out[p] = (a, c.get("permission"), c.get("mask"), c.get("description"))
    walk(ET.parse(path).getroot(), "", 0)
    return out


def _pkg(path):
    text = open(path).read()
    ints = {m.group(1): int(m.group(2), 16) for m in re.finditer(r"localparam int (A_\w+) = 'h([0-9a-f]+);", text)}
    plain = {m.group(1): int(m.group(2)) for m in re.finditer(r"localparam int (\w+)\s*=\s*(\d+);", text)}
    words = {m.group(1): int(m.group(2), 16) for m in re.finditer(r"localparam logic \[31:0\] (\w+)\s*= 32'h([0-9a-f]+);", text)}
    words.update({m.group(1): int(m.group(2)) for m in re.finditer(r"localparam logic \[31:0\] (\w+)\s*= 32'd(\d+);", text)})
    m = re.search(r"THR_RESET = \{(.*)\};", text)
    thr = [int(x.split("'d")[1]) for x in m.group(1).split(",")][::-1]
    return ints, plain, words, thr, text


def test_xml_agrees_with_package(written):
    cfg, rc, out, files = written
    leaves = _xml_leaves(files["regs_xml"])
    ints, plain, words, thr, _ = _pkg(files["regs_pkg"])
    # every address localparam names a word of the table at the same address
    by_name = {"A_MAGIC": "id.magic", "A_FW_VERSION": "id.fw_version", "A_CONFIG_SHA": "id.config_sha",
               "A_K": "id.k", "A_TRANSPORT": "id.transport", "A_N_THR": "id.n_thr", "A_SCORE_W": "id.score_w",
               "A_CNT_W": "id.cnt_w", "A_COMMIT": "ctrl.commit", "A_SNAPSHOT": "ctrl.snapshot",
               "A_COMMITS": "status.commits", "A_SNAPSHOTS": "status.snapshots",
               "A_CNT_EVENTS": "cnt.events.lo", "A_CNT_EVENTS_HI": "cnt.events.hi", "A_CNT_SAT": "cnt.sat.lo",
               "A_CNT_SAT_HI": "cnt.sat.hi", "A_CNT_OVERRUN": "cnt.overrun.lo", "A_CNT_OVERRUN_HI": "cnt.overrun.hi",
               "A_THR": "thr.t0", "A_TRIG": "cnt.trig0.lo", "A_TRIG_HI": "cnt.trig0.hi"}
    assert set(ints) == set(by_name)
    for sv, path in by_name.items():
        assert leaves[path][0] == ints[sv], (sv, path)
    n = plain["N_THR"]
    assert n == 8 and plain["SCORE_W"] == cfg.score_bits and plain["CNT_W"] == 64
    # N thresholds at consecutive words, rw, width SCORE_W; 2N trigger-counter words
    for i in range(n):
        a, perm, mask, desc = leaves[f"thr.t{i}"]
        assert (a, perm, mask) == (ints["A_THR"] + i, "rw", "0xffffffff")
        assert desc.endswith(f"({cfg.score_bits} bit)")
        assert leaves[f"cnt.trig{i}.lo"][0] == ints["A_TRIG"] + 2 * i
        assert leaves[f"cnt.trig{i}.hi"][0] == ints["A_TRIG"] + 2 * i + 1
    assert f"thr.t{n}" not in leaves and f"cnt.trig{n}.lo" not in leaves
    assert thr == rc.thresholds == [5, 17, 99, 300, 1000, 4096, 30000, cfg.score_max]
    # identification words from their sources
    assert words["ID_MAGIC"] == 0x4C314F54 and words["ID_FW_VERSION"] == 0x020701
    assert words["ID_CONFIG_SHA"] == int(cfg.sha256[:8], 16) and words["ID_K"] == 32
    assert words["ID_TRANSPORT"] == ("sorted", "species").index(cfg.transport)
    # permissions: only thresholds are rw, ctrl write-only, everything else read-only
    for p, (a, perm, mask, _d) in leaves.items():
        want = "rw" if p.startswith("thr.") else "w" if p.startswith("ctrl.") else "r"
        assert perm == want, p
        assert 0 <= a < 0x1000 and mask == "0xffffffff"
    addrs = [v[0] for v in leaves.values()]
    assert len(addrs) == len(set(addrs))


def test_top_table(written):
    _cfg, rc, out, files = written
    root = ET.parse(files["top_xml"]).getroot()
    kids = {c.get("id"): c for c in root.findall("node")}
    assert kids["regs"].get("module") == f"file://{rc.name}_regs.xml" and int(kids["regs"].get("address"), 16) == 0
    assert kids["refmem"].get("module") == f"file://{rc.name}_refmem.xml"
    assert int(kids["refmem"].get("address"), 16) == 0x1000
    assert (out / f"{rc.name}_regs.xml").is_file()
    # the default top (no reloadable memory) includes the regbank only
    assert "refmem" not in regs.top_xml("abc_k32")


def test_threshold_wider_than_score_refused():
    from l1ot.errors import ModelError
    cfg = fixed.KernelConfig.load()
    with pytest.raises(ModelError, match="not an integer in 0.."):
        regs.reg_config(cfg, 8, [1, cfg.score_max + 1], "abc_k8", "1.0")
