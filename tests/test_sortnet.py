"""Sorting networks: exhaustive 0-1 verification, broken networks fail, JSON validation."""
import json

import numpy as np
import pytest

from l1ot.kernel import sortnet
from l1ot.errors import ConfigError

SPECIES_BLOCKS = [[0], [1, 2, 3, 4], [5, 6, 7, 8], list(range(9, 19))]


def test_sort19_shape():
    net = sortnet.load("sort19")
    assert net.n == 19
    assert (net.size, net.depth) == (87, 11)
    assert all(i < j for i, j in net.comparators)


def test_sort19_sorts_all_01_vectors():
    ok, n_bad = sortnet.verify_01(sortnet.load("sort19"))
    assert ok and n_bad == 0


def test_species19_sorts_each_block():
    net = sortnet.load("species19")
    assert net.blocks == SPECIES_BLOCKS
    assert (net.size, net.depth) == (5 + 5 + 31, 7)
    block_of = {w: b for b, blk in enumerate(SPECIES_BLOCKS) for w in blk}
    assert all(block_of[i] == block_of[j] for i, j in net.comparators)
    ok, n_bad = sortnet.verify_01(net, blocks=SPECIES_BLOCKS)
    assert ok and n_bad == 0
    # ... and it is (of course) not a full sorter
    assert not sortnet.verify_01(net, blocks=[list(range(19))])[0]


@pytest.mark.parametrize("name", ["sort19", "species19"])
def test_removing_any_comparator_breaks_the_network(name):
    net = sortnet.load(name)
    for i in range(net.size):
        ok, n_bad = sortnet.verify_01(net.without(i))
        assert not ok and n_bad > 0, f"{name} still sorts without comparator {i}"


def test_verify_detects_wrong_direction():
    # an ascending 3-sorter is not a descending sorter
    net = sortnet.from_json({"n": 3, "layers": [[[0, 1]], [[1, 2]], [[0, 1]]]})
    assert sortnet.verify_01(net)[0]
    assert not sortnet.verify_01(sortnet.from_json({"n": 3, "layers": [[[0, 1]], [[1, 2]]]}))[0]


@pytest.mark.parametrize("name", ["sort19", "species19"])
def test_apply_matches_stable_descending_argsort(name):
    net = sortnet.load(name)
    rng = np.random.default_rng(7)
    pt = rng.integers(0, 6, size=(2000, 19))  # many ties
    tag = 18 - np.arange(19)
    keys = pt * 32 + tag
    ks, slot = sortnet.apply(net, keys, np.broadcast_to(np.arange(19), keys.shape))
    blocks = net.blocks or [list(range(19))]
    for blk in blocks:
        sub = pt[:, blk]
        # stable descending sort of pT: ties keep slot order
        order = np.array([sorted(range(len(blk)), key=lambda q: (-row[q], q)) for row in sub])
        np.testing.assert_array_equal(slot[:, blk], np.asarray(blk)[order])
        np.testing.assert_array_equal(ks[:, blk], np.take_along_axis(keys[:, blk], order, axis=1))


def test_sort_keys_fast_path_equals_apply():
    net = sortnet.load("sort19")
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 1 << 20, size=(500, 19)).astype(np.int64)
    fast = sortnet.sort_keys(net, np.ascontiguousarray(keys.T.copy())).T
    np.testing.assert_array_equal(fast, sortnet.apply(net, keys))


@pytest.mark.parametrize("obj, msg", [
    ({"layers": []}, "missing field 'n'"),
    ({"n": 4, "layers": [[[0, 4]]]}, "0 <= i < j < n"),
    ({"n": 4, "layers": [[[1, 0]]]}, "0 <= i < j < n"),
    ({"n": 4, "layers": [[[0, 1], [1, 2]]]}, "wire used twice"),
    ({"n": 4, "layers": [[["a", 1]]]}, "expected [i, j] integers"),
    ({"n": 4, "layers": [[]]}, "non-empty"),
    ({"n": 4, "blocks": [[0, 1], [2, 3]], "layers": [[[1, 2]]]}, "crosses blocks"),
    ({"n": 4, "blocks": [[0, 2], [1, 3]], "layers": [[[0, 1]]]}, "partition"),
])
def test_invalid_json_raises_config_error(obj, msg):
    with pytest.raises(ConfigError, match=msg.replace("[", r"\[").replace("]", r"\]")):
        sortnet.from_json(obj)


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        sortnet.load("no_such_network")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="bad.json"):
        sortnet.load(str(bad))
    bad.write_text(json.dumps({"n": 3, "layers": [[[0, 3]]]}))
    with pytest.raises(ConfigError, match="bad.json.*layer 0"):
        sortnet.load(str(bad))


def test_apply_equal_keys_never_swap():
    """Hand-checked: a comparator moves the larger key to the lower wire and leaves equal keys in place."""
    net = sortnet.from_json({"n": 2, "layers": [[[0, 1]]]})
    ks, pl = sortnet.apply(net, np.array([[5, 5], [3, 5], [5, 3]]), np.array([[10, 11], [10, 11], [10, 11]]))
    np.testing.assert_array_equal(ks, [[5, 5], [5, 3], [5, 3]])
    np.testing.assert_array_equal(pl, [[10, 11], [11, 10], [10, 11]])
    # all keys equal: no comparator of the 19-input network fires, the payload keeps its order
    for name in ("sort19", "species19"):
        big = sortnet.load(name)
        keys = np.full((3, 19), 7)
        _, slot = sortnet.apply(big, keys, np.broadcast_to(np.arange(19), keys.shape))
        np.testing.assert_array_equal(slot, np.broadcast_to(np.arange(19), keys.shape))
