#!/usr/bin/env python3
"""Train (if needed), calibrate (if needed) and export the firmware parameters.

Called by ``make export``. Default: the firmware default, ``species`` transport with
K = 64 (``l1ot.kernel.fixed.FIRMWARE_*``; export ``BUILD/export/k64_species`` made by
``tbutil.species_export``); ``--transport sorted --k 32`` makes the documented sorted
K = 32 export (``l1ot.artifacts.ensure``, ``BUILD/export/k32``). Only stale steps run.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from l1ot.artifacts import DEFAULT_BKG_EFF, LAST_REBUILT, ensure
from l1ot.errors import L1otError
from l1ot.kernel import fixed

REPO = Path(__file__).resolve().parents[1]


def species(k: int, build: str, data: str) -> dict:
    """Export of the trained species model of K medoids (``tbutil.species_export``)."""
    if Path(data).resolve() != (REPO / "data").resolve():
        raise L1otError(f"--transport species uses the bundled sample under {REPO / 'data'} "
                        f"(tbutil.sample_source), not {data}")
    os.environ["L1OT_BUILD"] = str(Path(build).resolve())
    sys.path.insert(0, str(REPO / "testbench"))
    import tbutil

    out = Path(tbutil.species_export(k))
    return {"model": str(Path(build).resolve() / f"model_k{k}_species.h5"), "golden": str(out / "golden.txt"),
            "parameters_h": str(out / "parameters.h"), "sv_package": str(out / "l1ot_params_pkg.sv"),
            "export_json": str(out / "export.json")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--k", type=int, default=fixed.FIRMWARE_K,
                   help=f"number of medoids (default {fixed.FIRMWARE_K}, the firmware default)")
    p.add_argument("--transport", choices=fixed.KERNEL_TRANSPORTS, default=fixed.FIRMWARE_TRANSPORT,
                   help=f"transport (default {fixed.FIRMWARE_TRANSPORT}, the firmware default; sorted: "
                        "the sorted top)")
    p.add_argument("--build", default="build", help="build directory (default build)")
    p.add_argument("--data", default="data", help="data directory (default data)")
    p.add_argument("--config", default=None, help="kernel precision config (sorted transport only)")
    p.add_argument("--bkg-eff", type=float, default=DEFAULT_BKG_EFF,
                   help=f"background efficiency if calibration is needed (default {DEFAULT_BKG_EFF:g}; "
                        "sorted transport only, species uses the default)")
    a = p.parse_args(argv)
    if a.k < 1:
        p.error(f"argument --k: must be >= 1, got {a.k}")
    if a.transport == "species" and (a.config is not None or a.bkg_eff != DEFAULT_BKG_EFF):
        p.error("--config and --bkg-eff are for --transport sorted (species: kernel_species.json, the default "
                "background efficiency)")
    try:
        if a.transport == "species":
            r = species(a.k, a.build, a.data)
            print(f"species export, K = {a.k} (tbutil.species_export; redone only when stale)")
        else:
            r = ensure(k=a.k, build=a.build, data=a.data, config=a.config, bkg_eff=a.bkg_eff)
            print(f"steps redone: {', '.join(LAST_REBUILT) or 'none (up to date)'}")
    except L1otError as exc:
        print(f"build_artifacts: error: {exc}", file=sys.stderr)
        return 2
    for key in ("model", "golden", "parameters_h", "sv_package", "export_json"):
        print(f"  {key:13s} {r.get(key, '(not generated)')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
