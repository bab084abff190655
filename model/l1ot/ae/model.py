"""The autoencoder: inputs, Keras 3 / HGQ2 model, training, scores, model files.

Inputs (57 per event, float32): for each of the 19 slots in file order (MET,
4 e/gamma, 4 mu, 10 jets) ``pT / 64 GeV, eta / 4, phi / 4``. The scales are
powers of two, so in firmware they are wire shifts of the Phase-2 GT words;
empty slots stay 0. The class-id column is not an input (it is implied by
the slot).

Network (ADC2021 baseline VAE shape, AXOL1TL-style score)::

    57 -> Dense 32 ReLU -> Dense 16 ReLU -> mu (L = 3)   \\-> score = mu . mu
                                         -> log sigma^2 (L) -> z -> 16 -> 32 -> 57

Training minimises ``MSE(x, x_hat) + BETA_KL * KL(q(z|x) || N(0, 1))`` (means
over the 57 inputs and L latents). The trigger score is AXOL1TL's latent
score ``sum_i mu_i**2`` (the KL term without the variance part): the decoder
and log-variance head are training-only and never reach firmware.

Quantised (``quantized=True``): the encoder layers are HGQ2 ``QDense`` with
quantisation-aware training (weights ``kbi``, activations ``kif`` with
saturation, per-parameter bit widths learnt with an EBOPs resource penalty
``beta0``), and the square-sum is an HGQ2 ``QDot``, so the scoring model
converts to hls4ml and da4ml as it is. Float (``quantized=False``): the same
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
BETA_KL = 0.5
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
    """Training VAE and scoring model sharing the encoder.

    Returns ``(vae, scorer)``: ``vae`` maps (N, 57) to the concatenation
    ``[x_hat (57), mu (L), log sigma^2 (L)]`` for :func:`vae_loss`; ``scorer``
    maps (N, 57) to the latent score (N, 1).
    """
    keras_backend()
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((N_IN,), name="x")
    if quantized:
        from hgq.config import LayerConfigScope, QuantizerConfigScope
        from hgq.layers import QDense, QDot

        with QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"), \
                QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode="SAT"), \
                LayerConfigScope(enable_ebops=True, beta0=beta0):
            h = inp
            for i, n in enumerate(hidden):
                h = QDense(n, activation="relu", name=f"enc{i}")(h)
            mu = QDense(latent, name="mu")(h)
            score = QDot(axes=-1, name="score")([mu, mu])
    else:
        h = inp
        for i, n in enumerate(hidden):
            h = keras.layers.Dense(n, activation="relu", name=f"enc{i}")(h)
        mu = keras.layers.Dense(latent, name="mu")(h)
        score = keras.layers.Dot(axes=-1, name="score")([mu, mu])
    scorer = keras.Model(inp, score, name="ae_score")

    logvar = keras.layers.Dense(latent, name="logvar")(h)
    z = _Sample(seed=seed, name="z")([mu, logvar])
    d = z
    for i, n in enumerate(reversed(hidden)):
        d = keras.layers.Dense(n, activation="relu", name=f"dec{i}")(d)
    xhat = keras.layers.Dense(N_IN, name="xhat")(d)
    vae = keras.Model(inp, keras.layers.Concatenate(name="out")([xhat, mu, logvar]), name="ae_vae")
    return vae, scorer


def _sample_layer():
    import keras

    class Sample(keras.layers.Layer):
        """Reparameterisation ``z = mu + exp(logvar / 2) * N(0, 1)`` (training only)."""

        def __init__(self, seed=0, **kw):
            super().__init__(**kw)
            self.gen = keras.random.SeedGenerator(seed)

        def call(self, inputs):
            mu, logvar = inputs
            eps = keras.random.normal(keras.ops.shape(mu), seed=self.gen)
            return mu + keras.ops.exp(0.5 * logvar) * eps

    return Sample


def _Sample(**kw):  # noqa: N802 - a layer factory
    return _sample_layer()(**kw)


def vae_loss(latent: int = LATENT, beta_kl: float = BETA_KL):
    """Loss ``MSE + beta_kl * KL`` of the concatenated VAE output (see module doc)."""
    import keras
    ops = keras.ops

    def loss(y, p):
        r, m, v = p[:, :N_IN], p[:, N_IN:N_IN + latent], p[:, N_IN + latent:]
        rec = ops.mean(ops.square(y - r), axis=-1)
        kl = -0.5 * ops.mean(1.0 + v - ops.square(m) - ops.exp(v), axis=-1)
        return rec + beta_kl * kl

    return loss


@dataclass
class TrainResult:
    scorer: object
    meta: dict = field(default_factory=dict)


def train(x: np.ndarray, *, quantized: bool = True, latent: int = LATENT, hidden=HIDDEN,
          epochs: int = 40, batch_size: int = 256, lr: float = 1e-3, beta0: float = BETA0,
          seed: int = 0, verbose: int = 0) -> TrainResult:
    """Train on inputs ``x`` (N, 57) from :func:`features`; fixed seed.

    Returns the scoring model and ``meta`` (shapes, hyper-parameters, wall
    time in seconds, epochs, final loss, backend).
    """
    if x.ndim != 2 or x.shape[1] != N_IN:
        raise ValueError(f"training inputs must have shape (N, {N_IN}), got {x.shape}")
    if epochs < 1 or len(x) < batch_size:
        raise ConfigError(f"need epochs >= 1 and at least batch_size={batch_size} events, got "
                          f"epochs={epochs}, {len(x)} events")
    backend = keras_backend()
    import keras

    vae, scorer = build(latent, hidden, quantized, beta0, seed)
    vae.compile(optimizer=keras.optimizers.Adam(lr), loss=vae_loss(latent))
    t0 = time.perf_counter()
    hist = vae.fit(x, x, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose)
    dt = time.perf_counter() - t0
    meta = {"quantized": quantized, "latent": latent, "hidden": list(hidden), "epochs": epochs,
            "batch_size": batch_size, "lr": lr, "beta_kl": BETA_KL, "beta0": beta0 if quantized else None,
            "seed": seed, "n_train_events": int(len(x)), "train_seconds": round(dt, 2),
            "final_loss": float(hist.history["loss"][-1]), "keras_backend": backend,
            "n_params_scorer": int(scorer.count_params()), "n_params_vae": int(vae.count_params()),
            "score": "AXOL1TL latent score sum(mu**2)", "data": LABEL}
    return TrainResult(scorer, meta)


def score(scorer, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Latent scores (N,) float64 of inputs ``x`` (N, 57) with the Keras model.

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
