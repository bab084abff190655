"""Simulated ADC2021-format sample: Pythia 8 processes, L1-object emulation, selection, mixing.

* :mod:`l1ot.sim.processes` — Pythia settings of the backgrounds and signals.
* :mod:`l1ot.sim.emulation` — L1 e/gamma, muon, jet and MET emulation; event selection.
* :mod:`l1ot.sim.generate` — event loop (pre-filter, QCD re-hadronisation, lepton filter, pile-up overlay).
* :mod:`l1ot.sim.production` — seeded chunks, background mixing, file provenance.

Needs the ``gen`` extra (``pythia8mc``, ``fastjet``); ``scripts/make_dataset.py`` drives it.
"""
