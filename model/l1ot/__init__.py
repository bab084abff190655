"""l1ot: optimal-transport anomaly detection for the CMS Level-1 trigger.

Layers, each importing only from the ones below it (``tests/test_layout.py``)::

    cli.py, artifacts.py        command line; build orchestration for hls/, testbench/, scripts/
    commands/                   one module per sub-command
    export/                     golden vectors, HLS parameters.h, SV package
    paper1/                     paper 1's kNN / one-class SVM / classification methods
    evaluation/                 metrics and test-set evaluation, float and fixed point
    kernel/                     the bit-accurate fixed-point L1 kernel (+ configs/, networks/)
    ot/                         float optimal transport: ground spaces, W2, LinW2
    io/                         event files and splits
    sim/                        the simulated sample generator (Pythia 8 + FastJet)
    errors.py, progress.py, paths.py, outputs.py   shared by all (outputs: the output discipline)
"""
__version__ = "0.1.0"
