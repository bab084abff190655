"""Rules of docs/kernel.md that are stated in the text: multiplier rounding, the config hash,
stage-0 handling of eta/phi, the quantize_inputs signature. Each test recomputes the rule
from the documented recipe, not from the code's own constants."""
from __future__ import annotations

import hashlib
import inspect
import json
import math

import numpy as np
import pytest

from l1ot.errors import ConfigError, DataError
from l1ot.kernel import fixed


@pytest.mark.parametrize("half, m_s", [
    (1.5, (1, 15)),   # 1.5 -> 2 (ties to even), reduced once
    (2.5, (1, 15)),   # 2.5 -> 2 (ties to even; half-up would give 3)
    (4.5, (1, 14)),   # 4.5 -> 4 (half-up would give 5), reduced twice
])
def test_multiplier_rounds_half_to_even(half, m_s):
    # pT: sqrt(w) * LSB * 2^F * 2^S = sqrt(w) * 2^-5 * 2^2 * 2^16; w = half^2 * 2^-26 makes it exactly `half`
    w = half * half * 2.0 ** -26
    cfg = fixed.KernelConfig.load(axis_weights=[w, 1.0, 1.0], work_frac_bits=2, mult_shift=16)
    exact = math.sqrt(w) * 2.0 ** -5 * 2.0 ** 2 * 2.0 ** 16
    assert exact == half
    m = int(math.floor(exact))
    m = m + 1 if (exact - m > 0.5 or (exact - m == 0.5 and m % 2)) else m  # ties to even, by hand
    s = 16
    while s > 0 and m % 2 == 0:
        m, s = m // 2, s - 1
    assert (cfg.mult["pt"], cfg.shift["pt"]) == (m, s) == m_s


def test_multiplier_that_rounds_to_zero_is_refused():
    """M_a = 0 would zero the axis (every x_a = 0): refused, naming the axis."""
    with pytest.raises(ConfigError, match="multiplier for eta rounds to 0"):
        fixed.KernelConfig.load(axis_weights=[1.0, 1e-12, 1.0])
    # exactly 0.5 rounds (to even) to 0 as well
    with pytest.raises(ConfigError, match="multiplier for pt rounds to 0"):
        fixed.KernelConfig.load(axis_weights=[0.25 * 2.0 ** -26, 1.0, 1.0])
    # the smallest accepted multiplier is 1 (0.5 + one ulp rounds up)
    cfg = fixed.KernelConfig.load(axis_weights=[(0.5 + 2 ** -20) ** 2 * 2.0 ** -26, 1.0, 1.0])
    assert cfg.mult["pt"] == 1


def _documented_sha(obj: dict) -> str:
    """The recipe of docs/kernel.md, "Precision config", written out independently."""
    defaults = {"format": "l1ot-kernel-config-v1", "input_format": "phase2", "phi_wrap": True,
                "axis_weights": [1.0, 1.0, 1.0], "reuse_factor": 1,
                "networks": {"sorted": "sort19", "species": "species19"}}
    c = {**defaults, **obj}
    c.pop("description", None)
    c["axis_weights"] = [float(v) for v in c["axis_weights"]]
    for a in ("pt", "eta", "phi"):
        v = c[f"{a}_lsb"]
        c[f"{a}_lsb"] = v.replace(" ", "") if isinstance(v, str) else float(v)
    text = json.dumps(c, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("name", ["kernel_default.json", "kernel_run3.json"])
def test_config_sha256_is_the_documented_serialisation(name):
    path = fixed.CONFIG_DIR / name
    obj = json.loads(path.read_text())
    assert fixed.KernelConfig.load(path).sha256 == _documented_sha(obj)


def test_config_sha256_canonical_numbers_and_what_is_hashed():
    base = fixed.KernelConfig.load()
    # reals hash as floats, 'pi/N' without spaces, description and formatting do not matter
    assert fixed.KernelConfig.load(axis_weights=[1, 1, 1]).sha256 == base.sha256
    assert fixed.KernelConfig.load(eta_lsb="pi / 4096").sha256 == base.sha256
    assert fixed.KernelConfig.load(description="other").sha256 == base.sha256
    assert fixed.KernelConfig.load(pt_lsb=1).sha256 == fixed.KernelConfig.load(pt_lsb=1.0).sha256
    # the same LSB written as a number is another config text
    assert fixed.KernelConfig.load(eta_lsb=math.pi / 4096).sha256 != base.sha256
    # reuse_factor is hashed (it is the default R of parameters.h and the SV package),
    # although scores do not depend on it
    assert fixed.KernelConfig.load(reuse_factor=4).sha256 != base.sha256
    # the whole networks map is hashed, also the entry of the transport not in use
    assert fixed.KernelConfig.load(networks={"sorted": "sort19"}).sha256 != base.sha256


def test_stage0_eta_phi_never_raise_for_finite_values():
    """Only pT < 0 and non-finite values raise; eta saturates, phi wraps (or saturates)."""
    cfg = fixed.KernelConfig.load()
    ev = np.zeros((1, 19, 4))
    ev[0, 1, :3] = (10.0, -100.0, -4.0)     # eta far below the type, phi beyond -pi
    ev[0, 2, :3] = (10.0, -1.0, -1.0)       # ordinary negative angles
    ev[0, 3, :3] = (10.0, 1e300, 1e300)     # huge finite values
    pt, eta, phi, st = fixed.quantize_inputs(ev, cfg)
    lsb = math.pi / 4096
    assert eta[0, 1] == -(2 ** 13) and eta[0, 3] == 2 ** 13 - 1 and st.sat_eta == 2
    # -4 rad wraps by 2 pi: round(-4 / lsb) + 8192
    assert phi[0, 1] == math.floor(-4.0 / lsb + 0.5) + 8192
    assert (eta[0, 2], phi[0, 2]) == (math.floor(-1 / lsb + 0.5), math.floor(-1 / lsb + 0.5))
    assert -4096 <= phi[0, 3] <= 4095 and st.sat_phi == 0
    _, _, phi2, st2 = fixed.quantize_inputs(ev, cfg.replace(phi_wrap=False))
    assert phi2[0, 1] == -4096 and phi2[0, 3] == 4095 and st2.sat_phi == 2 and st2.phi_wrapped == 0
    ev[0, 4, :3] = (-0.5, 0.0, 0.0)
    with pytest.raises(DataError, match="event 0, slot 4, field pt"):
        fixed.quantize_inputs(ev, cfg)
    ev[0, 4, :3] = (1.0, 0.0, np.inf)
    with pytest.raises(DataError, match="event 0, slot 4, field phi"):
        fixed.quantize_inputs(ev, cfg)


def test_quantize_inputs_signature():
    cfg = fixed.KernelConfig.load()
    assert list(inspect.signature(fixed.quantize_inputs).parameters) == ["particles", "cfg", "source"]
    ev = np.zeros((2, 19, 3))                      # the class id column is optional (ignored)
    ev[:, 0, 0] = 1.0
    pt, eta, phi, st = fixed.quantize_inputs(ev, cfg)
    assert pt.shape == eta.shape == phi.shape == (2, 19) and pt.dtype == np.int64
    assert isinstance(st, fixed.QuantStats) and st.n_events == 2 and st.n_objects == 2
    with pytest.raises(DataError, match="file x.h5"):
        fixed.quantize_inputs(np.zeros((2, 18, 4)), cfg, source="x.h5")
