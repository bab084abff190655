"""AXOL1TL-style autoencoder beside the OT kernel (``docs/autoencoder.md``).

An autoencoder on the same 57 inputs as the OT score (19 objects x pT, eta,
phi), ADC2021-baseline shape 57-32-16-3-16-32-57, trained on the background
training block of :mod:`l1ot.io.splits`. The trigger score is the
reconstruction loss ``sum((x - x_hat)**2)``, computed inside the network.

* :mod:`.model`    features, the Keras 3 / HGQ2 model, training, scoring, files
* :mod:`.firmware` hls4ml conversion (Vitis, io_parallel), C simulation of the
  written project, da4ml standalone Verilog
* :mod:`.evaluate` the five test sets and paper-1 metrics, float and fixed

Needs the ``ae`` extra (Keras 3 on JAX CPU, HGQ2, hls4ml, da4ml). Keras reads
its backend when first imported: :func:`keras_backend` sets ``KERAS_BACKEND=jax``
unless the user chose another. May import :mod:`l1ot.io`,
:mod:`l1ot.evaluation` and the bottom layer.
"""
from __future__ import annotations

import os


def keras_backend() -> str:
    """Select the JAX backend (unless ``KERAS_BACKEND`` is set) and import keras; returns the backend."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except ImportError as e:  # pragma: no cover - depends on the install
        from ..errors import L1otError
        raise L1otError(f"the autoencoder needs the 'ae' extra (pip install -e '.[ae]'): {e}") from None
    return keras.backend.backend()
