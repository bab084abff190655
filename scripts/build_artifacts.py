#!/usr/bin/env python3
"""Train (if needed), calibrate (if needed) and export the firmware parameters.

Called by ``make export``. Wraps :func:`l1ot.artifacts.ensure`; only stale steps run.
"""
from __future__ import annotations

import argparse
import sys

from l1ot.artifacts import DEFAULT_BKG_EFF, LAST_REBUILT, ensure
from l1ot.errors import L1otError


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--k", type=int, default=32, help="number of medoids (default 32)")
    p.add_argument("--build", default="build", help="build directory (default build)")
    p.add_argument("--data", default="data", help="data directory (default data)")
    p.add_argument("--config", default=None, help="kernel precision config")
    p.add_argument("--bkg-eff", type=float, default=DEFAULT_BKG_EFF,
                   help=f"background efficiency if calibration is needed (default {DEFAULT_BKG_EFF:g})")
    a = p.parse_args(argv)
    try:
        r = ensure(k=a.k, build=a.build, data=a.data, config=a.config, bkg_eff=a.bkg_eff)
    except L1otError as exc:
        print(f"build_artifacts: error: {exc}", file=sys.stderr)
        return 2
    print(f"steps redone: {', '.join(LAST_REBUILT) or 'none (up to date)'}")
    for key in ("model", "golden", "parameters_h", "sv_package", "export_json"):
        print(f"  {key:13s} {r.get(key, '(not generated)')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
