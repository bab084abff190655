"""Multi-scale optimal transport for complete collider events (paper 2: Cai, Craig, Craig & Lin 2025).

The offline half of l1ot: jets are distributions on the (y, phi) plane, events
are distributions on the manifold of jets (``docs/multiscale.md``). One job per module:

    representation   anti-kT clustering (FastJet), CM boost, phi translation, jet alignment (eq. 4), thrust
    jetot            jet-level OT: exact W2 (POT) and the LinW2 tangent embedding (eqs. 2-3)
    eventot          eq. 5 ground cost, event W2 with the pt / uniform / jet1 weightings, single-scale W2,
                     distance matrices on l1ot.engine, cached on disk
    classify         kNN on distance matrices (k chosen on validation), observable AUCs
    toy              the toy example of §II.4 / App. A
    generate         Pythia 8 + FastJet samples of the two tasks (simulated, not CMS)
    samples          the constituent-level sample files (data/multiscale/)
    pipeline         one task at one radius, end to end

May import io, ot, engine, evaluation, sim and the bottom layer (``tests/test_layout.py``).
"""
