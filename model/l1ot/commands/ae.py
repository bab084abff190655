"""``l1ot ae train`` / ``l1ot ae evaluate``: the AXOL1TL-style autoencoder beside the OT kernel.

``train`` fits the autoencoder (float, or HGQ2 quantisation-aware
with ``--quantized``) on the background training block and writes a ``.keras``
scoring model plus ``.keras.json`` metadata. ``evaluate`` scores the five
test sets with a float and a quantised model (the latter through hls4ml,
Vitis backend, io_parallel) and writes ``reports/ae.json``. Needs the ``ae``
extra. See ``docs/autoencoder.md``. Data in the bundled sample are simulated,
not CMS.
"""
from __future__ import annotations

import os

DEFAULT_BKG = os.path.join("data", "background_for_training.h5")


def register(sub):
    p = sub.add_parser("ae", help="AXOL1TL-style autoencoder (hls4ml) beside the OT kernel: train, evaluate")
    asub = p.add_subparsers(dest="ae_command", metavar="AE_COMMAND")
    t = asub.add_parser("train", help="train the autoencoder on the background training block")
    t.add_argument("background", nargs="?", default=DEFAULT_BKG, help=f"background file (default {DEFAULT_BKG})")
    t.add_argument("--quantized", action="store_true",
                   help="HGQ2 quantisation-aware training (the model that goes to hls4ml)")
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--batch-size", type=int, default=256)
    t.add_argument("--n-train", type=int, default=None, help="training events (default: the whole training block)")
    t.add_argument("--latent", type=int, default=3, help="latent dimension (default 3)")
    t.add_argument("--beta0", type=float, default=1e-5, help="HGQ2 EBOPs resource penalty (--quantized)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("-o", "--output", required=True, help="scoring model (.keras); metadata in OUTPUT.json")
    t.set_defaults(func=run_train)
    e = asub.add_parser("evaluate", help="AUC, 1/eps_b and SI at eps_s = 0.3 on the 5 test sets, float and fixed")
    e.add_argument("--float-model", required=True, help="float scoring model (.keras)")
    e.add_argument("--fixed-model", required=True, help="HGQ2 scoring model (.keras)")
    e.add_argument("--background", default=DEFAULT_BKG)
    e.add_argument("--data", default="data", help="directory with the signal files")
    e.add_argument("--hls-dir", default=os.path.join("build", "ae", "hls"), help="hls4ml project directory")
    e.add_argument("--strategy", default="Latency", choices=("Latency", "distributed_arithmetic"))
    e.add_argument("-o", "--output", default=os.path.join("reports", "ae.json"))
    e.set_defaults(func=run_evaluate)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def run_train(args) -> int:
    from ..ae import evaluate as aev
    from ..ae import model

    out = model.check_output(args.output, inputs=[args.background])
    ev = aev.train_events(args.background, args.n_train)
    res = model.train(model.features(ev), quantized=args.quantized, latent=args.latent, epochs=args.epochs,
                      batch_size=args.batch_size, beta0=args.beta0, seed=args.seed)
    res.meta["background"] = os.path.basename(args.background)
    model.save(res, out)
    kind = "HGQ2 quantised" if args.quantized else "float"
    print(f"trained {kind} autoencoder on {res.meta['n_train_events']} events ({model.LABEL}) in "
          f"{res.meta['train_seconds']} s, {args.epochs} epochs, loss {res.meta['final_loss']:.4f} -> {out}")
    return 0


def run_evaluate(args) -> int:
    from ..ae import evaluate as aev
    from ..ae import model

    inputs = [args.float_model, args.fixed_model, args.background]
    model.check_output(args.output, inputs=inputs)
    print(f"autoencoder on the test sets ({model.LABEL})")
    rep = aev.evaluate(args.background, args.data, args.float_model, args.fixed_model, args.hls_dir,
                       strategy=args.strategy)
    p = aev.write_report(rep, args.output)
    print(f"wrote {p}")
    return 0 if rep["bit_exact"]["mismatches"] == 0 else 1
