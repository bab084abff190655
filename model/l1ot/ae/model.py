"""The autoencoder: inputs, Keras 3 / HGQ2 model, training, scores, model files.

Inputs (57 per event, float32): for each of the 19 slots in file order (MET,
4 e/gamma, 4 mu, 10 jets) ``pT / 64 GeV, eta / 4, phi / 4``. The scales are
powers of two, so in firmware they are wire shifts of the Phase-2 GT words;
empty slots stay 0. The class-id column is not an input (it is implied by
the slot).

Network (ADC2021 baseline autoencoder shape)::

    57 -> 32 -> 16 -> 3 (latent) -> 16 -> 32 -> 57 = x_hat     (ReLU, last layer linear)
    score = sum_j (x_j - x_hat_j)**2

Training minimises the mean squared reconstruction error on background. The
trigger score is the reconstruction loss, computed inside the network (an
HGQ2 ``QSubtract`` and ``QDot``), so the whole scorer goes to firmware. (A
variational version scored with AXOL1TL's latent ``sum(mu**2)`` was tried and
separated the signals far worse on this sample: ``docs/autoencoder.md``.)

Quantised (``quantized=True``): the encoder layers are HGQ2 ``QDense`` with
quantisation-aware training (weights ``kbi``, activations ``kif`` with
saturation, per-parameter bit widths learnt with an EBOPs resource penalty
``beta0``), so the scoring model converts to hls4ml and da4ml as it is. Float (``quantized=False``): the same
shapes with plain Keras ``Dense``.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import keras_backend
from ..errors import ConfigError, ModelError

N_SLOTS = 19
N_IN = 57
#: input scale per feature (pT, eta, phi): powers of two
SCALE = (2.0 ** -6, 2.0 ** -2, 2.0 ** -2)
HIDDEN = (32, 16)
LATENT = 3
BETA0 = 1e-5
LABEL = "simulated, not CMS"


def features(events: np.ndarray) -> np.ndarray:
    """Network inputs of events.

    Parameters
    ----------
    events : (N, 19, 4) array (pT/GeV, eta, phi, class id), the l1ot event layout.

    Returns
    -------
    (N, 57) float32: per slot ``pT/64, eta/4, phi/4``.
    """
    ev = np.asarray(events)
    if ev.ndim != 3 or ev.shape[1:] != (N_SLOTS, 4):
        raise ValueError(f"events must have shape (N, 19, 4), got {ev.shape}")
    f = ev[..., :3].astype(np.float32) * np.asarray(SCALE, dtype=np.float32)
    return f.reshape(len(ev), N_IN)


def build(latent: int = LATENT, hidden=HIDDEN, quantized: bool = True, beta0: float = BETA0,
          seed: int = 0):
    """Training autoencoder and scoring model sharing all layers.

    Returns ``(ae, scorer)``: ``ae`` maps (N, 57) to the reconstruction
    (N, 57); ``scorer`` maps (N, 57) to the score ``sum((x - x_hat)**2)``
    (N, 1), computed inside the network so that it goes to firmware as it is.
    """
    keras_backend()
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((N_IN,), name="x")
    sizes = list(hidden) + [latent] + list(reversed(hidden))
    if quantized:
        from hgq.config import LayerConfigScope, QuantizerConfigScope
        from hgq.layers import QDense, QDot, QSubtract

        with QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"), \
                QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode="SAT"), \
                LayerConfigScope(enable_ebops=True, beta0=beta0):
            h = inp
            for i, n in enumerate(sizes):
                h = QDense(n, activation="relu", name=f"dense{i}")(h)
            xhat = QDense(N_IN, name="xhat")(h)
            d = QSubtract(name="residual")([inp, xhat])
            score = QDot(axes=-1, name="score")([d, d])
    else:
        h = inp
        for i, n in enumerate(sizes):
            h = keras.layers.Dense(n, activation="relu", name=f"dense{i}")(h)
        xhat = keras.layers.Dense(N_IN, name="xhat")(h)
        d = keras.layers.Subtract(name="residual")([inp, xhat])
        score = keras.layers.Dot(axes=-1, name="score")([d, d])
    return keras.Model(inp, xhat, name="ae"), keras.Model(inp, score, name="ae_score")


@dataclass
class TrainResult:
    scorer: object
    meta: dict = field(default_factory=dict)


def train(x: np.ndarray, *, quantized: bool = True, latent: int = LATENT, hidden=HIDDEN,
          epochs: int = 40, batch_size: int = 256, lr: float = 1e-3, beta0: float = BETA0,
          seed: int = 0, verbose: int = 0) -> TrainResult:
    """Train on inputs ``x`` (N, 57) from :func:`features`; fixed seed.

    Returns the scoring model and ``meta`` (shapes, hyper-parameters, wall
    and process CPU time in seconds (including JAX compilation), epochs, final loss, backend).
    """
    if x.ndim != 2 or x.shape[1] != N_IN:
        raise ValueError(f"training inputs must have shape (N, {N_IN}), got {x.shape}")
    if epochs < 1 or len(x) < batch_size:
        raise ConfigError(f"need epochs >= 1 and at least batch_size={batch_size} events, got "
                          f"epochs={epochs}, {len(x)} events")
    backend = keras_backend()
    import keras

    ae, scorer = build(latent, hidden, quantized, beta0, seed)
    ae.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
    t0, c0 = time.perf_counter(), time.process_time()
    hist = ae.fit(x, x, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    meta = {"quantized": quantized, "latent": latent, "hidden": list(hidden), "epochs": epochs,
            "batch_size": batch_size, "lr": lr, "beta0": beta0 if quantized else None,
            "seed": seed, "n_train_events": int(len(x)), "train_seconds": round(dt, 2), "train_cpu_seconds": round(dc, 2),
            "final_loss": float(hist.history["loss"][-1]), "keras_backend": backend,
            "n_params": int(scorer.count_params()),
            "score": "reconstruction loss sum((x - x_hat)**2)", "data": LABEL}
    return TrainResult(scorer, meta)


def score(scorer, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Scores (reconstruction loss, N,) float64 of inputs ``x`` (N, 57) with the Keras model.

    For a quantised (HGQ2) scorer this is the fixed-point emulation, which
    equals the hls4ml C simulation bit for bit (``tests/test_ae_hls.py``).
    """
    return np.asarray(scorer.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64).reshape(-1)


# ------------------------------------------------------------------ files
def check_output(path, inputs=()) -> Path:
    """Refuse an output that is one of the inputs or whose directory is not writable."""
    p = Path(path)
    for q in inputs:
        if q and Path(q).exists() and p.exists() and os.path.samefile(p, q):
            raise ConfigError(f"output {p} is also an input; choose another path")
    d = p.parent if str(p.parent) else Path(".")
    d.mkdir(parents=True, exist_ok=True)
    if not os.access(d, os.W_OK):
        raise ConfigError(f"output directory {d} is not writable")
    return p


def save(result: TrainResult, path) -> Path:
    """Write the scoring model ``path`` (``.keras``) and its metadata ``path.json``.

    Both go to temporary files renamed on success.
    """
    p = Path(path)
    if p.suffix != ".keras":
        raise ConfigError(f"model file {p} must end in .keras")
    tmp = p.with_name(p.stem + ".tmp.keras")
    result.scorer.save(tmp)
    meta_tmp = p.with_name(p.name + ".json.tmp")
    meta_tmp.write_text(json.dumps(result.meta, indent=1) + "\n")
    os.replace(tmp, p)
    os.replace(meta_tmp, p.with_name(p.name + ".json"))
    return p


def load(path) -> TrainResult:
    """Read a scoring model written by :func:`save` (one-line error if unreadable)."""
    keras_backend()
    import keras

    p = Path(path)
    if not p.is_file():
        raise ModelError(f"model file {p} not found")
    try:
        if _is_quantized_file(p):
            import hgq  # noqa: F401 - registers the HGQ2 layers for deserialisation
        scorer = keras.saving.load_model(p, compile=False)
    except Exception as e:  # noqa: BLE001 - any failure is one line for the user
        raise ModelError(f"model file {p}: cannot load ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    mp = p.with_name(p.name + ".json")
    meta = json.loads(mp.read_text()) if mp.is_file() else {}
    return TrainResult(scorer, meta)


def _is_quantized_file(p: Path) -> bool:
    import zipfile
    try:
        with zipfile.ZipFile(p) as z:
            return b"hgq" in z.read("config.json")
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise ModelError(f"model file {p}: not a Keras .keras archive ({e})") from None
