"""``l1ot multiscale``: paper 2's multi-scale optimal transport (toy, generate, classify)."""
from __future__ import annotations

import json
import os

from . import _args
from .. import outputs
from ..errors import DataError, UsageError


def register(sub):
    p = sub.add_parser("multiscale", help="multi-scale optimal transport between complete events (paper 2)")
    s = p.add_subparsers(dest="action", metavar="ACTION")

    t = s.add_parser("toy", help="the toy example of paper 2 App. A: JSON with events, distances and plans, + figure")
    t.add_argument("-o", "--output", default=os.path.join("reports", "multiscale_toy.json"), help="JSON report")
    t.add_argument("--figure", default=None,
                   help="figure base name (writes .png and .pdf; default: OUTPUT without .json, beside it; "
                        "'' for none)")
    t.add_argument("--seed", type=_args.nonneg_int, default=2)
    t.set_defaults(func=run_toy)

    c = s.add_parser("classify", help="kNN on single-scale, multi-scale and thrust for one task")
    c.add_argument("--task", required=True, choices=("ttbar", "paired-dijet"))
    c.add_argument("--radius", type=_args.positive_float, nargs="+", default=[0.8],
                   help="anti-kT radii to recluster with (default 0.8, the benchmark)")
    c.add_argument("--n", type=_args.positive_int, default=200, help="events per class (default 200)")
    c.add_argument("--data", default=os.path.join("data", "multiscale"), help="folder of the sample files")
    c.add_argument("--no-single", action="store_true", help="skip the (slow) single-scale matrices")
    c.add_argument("--single-knn", choices=("auto", "matrix", "pruned"), default="auto",
                   help="single-scale kNN: full matrices, exact pruned kNN without them (docs/multiscale.md), "
                        "or auto (pruned from 1000 events per class)")
    c.add_argument("--cache", default=os.path.join("build", "cache"), help="distance-matrix cache ('' none)")
    c.add_argument("--seed", type=_args.nonneg_int, default=0, help="fold shuffling seed")
    c.add_argument("-o", "--output", required=True, help="JSON result")
    _args.add_engine_args(c, "the distance matrices")
    c.set_defaults(func=run_classify)

    g = s.add_parser("generate", help="Pythia 8 + FastJet samples of the two tasks (simulated, not CMS)")
    g.add_argument("--out", default=os.path.join("data", "multiscale"), help="output folder")
    g.add_argument("--n", type=_args.positive_int, default=500, help="events per signal (QCD: 2 n)")
    g.add_argument("--seed", type=_args.positive_int, default=17)
    g.add_argument("--chunk", type=_args.positive_int, default=100)
    g.add_argument("--cache", default=os.path.join("build", "multiscale_chunks"))
    g.add_argument("--processes", type=_args.name_list(("qcd", "ttbar", "stop"), what="process"),
                   default=["qcd", "ttbar", "stop"])
    _args.add_engine_args(g, "the generation chunks")
    g.set_defaults(func=run_generate)
    p.set_defaults(func=lambda a: (p.print_help(), 1)[1])


def run_toy(args) -> int:
    from ..multiscale import toy

    if args.figure is None:  # the figure goes where the report goes
        args.figure = os.path.splitext(args.output)[0]
    outs = [args.output] + ([f"{args.figure}.png", f"{args.figure}.pdf"] if args.figure else [])
    outputs.check(outputs=outs)
    rep = toy.compute(seed=args.seed)
    with outputs.Transaction() as tx:
        with open(tx.file(args.output), "w") as f:
            f.write(toy.to_json(rep))
        if args.figure:
            toy.figure(rep, args.figure, paths={e: tx.file(f"{args.figure}.{e}") for e in ("png", "pdf")})
    for p in rep["multiscale"]:
        print(f"(alpha, beta) = ({p['alpha']:g}, {p['beta']:g}): W2 = {p['distance']:.4f}, matching {p['matching']}")
    print(f"single-scale W2 = {rep['single_scale']['distance']:.4f}; wrote {', '.join(outs)}")
    return 0


def run_classify(args) -> int:
    from ..multiscale import generate, pipeline, samples

    sig, bkg = generate.TASKS[args.task]
    inputs = [samples.path_of(sig, args.data), samples.path_of(bkg, args.data)]
    outputs.check(outputs=[args.output], inputs=inputs)
    for p in inputs:
        have = samples.count(p)  # one clear line for a missing or malformed file, before any work
        need = args.n * (2 if p == inputs[1] else 1)
        if have < need:
            raise DataError(f"holds {have} events, --n {args.n} needs {need}", file=p)
    eng = _args.engine(args)
    results = []
    try:
        for r in args.radius:
            results.append(pipeline.run(args.task, r, args.n, folder=args.data, engine=eng,
                                        cache_dir=args.cache or None, seed=args.seed, single=not args.no_single,
                                        single_knn=args.single_knn))
    finally:
        eng.close()
    out = {"task": args.task, "statement": "simulated, not CMS", "results": results}
    with outputs.Transaction() as tx:
        with open(tx.file(args.output), "w") as f:
            json.dump(out, f, indent=1)
    print(f"wrote {args.output}")
    return 0


def run_generate(args) -> int:
    from ..multiscale import generate, samples

    outputs.check(folders=[args.out])
    eng = _args.engine(args)
    try:
        for proc in args.processes:
            n = 2 * args.n if proc == "qcd" else args.n
            ev, stats = generate.produce(proc, n, seed=args.seed, chunk=args.chunk, cache_dir=args.cache or None,
                                         engine=eng if eng.distributed else None)
            path = samples.path_of(proc, args.out)
            samples.write(path, ev, generate.attrs(proc, args.seed, args.chunk, stats))
            print(f"{path}: {len(ev)} events ({sum(s['n_generated'] for s in stats)} generated)")
    finally:
        eng.close()
    return 0
