"""Which file in a data folder is which sample: the ADC2021 naming variants.

The ADC2021 challenge files circulate under several names. For each sample this
module knows the bare names (as bundled in ``data/``: ``*_13TeV.h5``,
``*_13TeV_PU20.h5``) and the challenge-selection names (``*_filtered.h5``),
and the black-box files (``BlackBox_background_mix.h5``,
``BlackBox_13TeV_PU20.h5``):

============  ==============================================================
key           file names recognised (case-insensitive)
============  ==============================================================
background    ``background_for_training.h5``
A             ``Ato4l_lepFilter_13TeV.h5``, ``Ato4l_lepFilter_13TeV_filtered.h5``
h0            ``hToTauTau_13TeV_PU20.h5``, ``hToTauTau_13TeV_PU20_filtered.h5``
hpm           ``hChToTauNu_13TeV_PU20.h5``, ``hChToTauNu_13TeV_PU20_filtered.h5``
LQ            ``leptoquark_LOWMASS_lepFilter_13TeV.h5``, ``..._13TeV_filtered.h5``
black box     ``BlackBox_*.h5`` -- a mix of background and unknown signal:
              recognised and listed, never taken as the background unless
              named with ``--background``
============  ==============================================================

:func:`resolve` maps a folder plus explicit overrides
(``--background PATH``, ``--signal NAME=PATH``) to one path per sample. A
folder holding two variants of a needed sample is ambiguous and refused with
a message listing what was found; so is a folder without a needed sample.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ..errors import ConfigError

#: file-name stems of each signal (paper 1 §2); variants add ``_filtered``
SIGNAL_STEMS = {
    "A": "Ato4l_lepFilter_13TeV",
    "h0": "hToTauTau_13TeV_PU20",
    "hpm": "hChToTauNu_13TeV_PU20",
    "LQ": "leptoquark_LOWMASS_lepFilter_13TeV",
}
BACKGROUND_NAME = "background_for_training.h5"
BLACKBOX = re.compile(r"^blackbox_.*\.h5$", re.IGNORECASE)
VARIANTS = ("", "_filtered")


def _pattern(stem: str) -> re.Pattern:
    return re.compile(r"^" + re.escape(stem) + r"(_filtered)?\.h5$", re.IGNORECASE)


PATTERNS = {k: _pattern(v) for k, v in SIGNAL_STEMS.items()}


@dataclass
class DataFiles:
    """Resolved inputs: ``background`` path and ``signals`` {key: path}."""

    background: str
    signals: dict = field(default_factory=dict)
    blackbox: list = field(default_factory=list)

    def describe(self) -> dict:
        return {"background": self.background, "signals": dict(self.signals)}


def scan(folder: str) -> dict:
    """Recognised files of ``folder``: {"background": [...], "A": [...], ..., "blackbox": [...]}."""
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        raise ConfigError(f"data folder {folder} does not exist") from None
    except NotADirectoryError:
        raise ConfigError(f"--data {folder} is a file, not a folder") from None
    found = {"background": [], **{k: [] for k in SIGNAL_STEMS}, "blackbox": []}
    for n in names:
        p = os.path.join(folder, n)
        if not os.path.isfile(p):
            continue
        if n.lower() == BACKGROUND_NAME:
            found["background"].append(p)
        elif BLACKBOX.match(n):
            found["blackbox"].append(p)
        else:
            for k, pat in PATTERNS.items():
                if pat.match(n):
                    found[k].append(p)
    return found


def parse_signal_args(items) -> dict:
    """``["A=path", ...]`` (``--signal``, repeatable) -> {key: path}; unknown keys and repeats refused."""
    out = {}
    for it in items or ():
        name, sep, path = it.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            raise ConfigError(f"--signal needs NAME=PATH, got {it!r}")
        if name not in SIGNAL_STEMS:
            raise ConfigError(f"--signal {it}: unknown signal {name!r}; known: {', '.join(SIGNAL_STEMS)}")
        if name in out:
            raise ConfigError(f"--signal {name} given twice ({out[name]}, {path})")
        out[name] = path
    return out


def _summary(found: dict) -> str:
    parts = [f"{k}: {', '.join(os.path.basename(p) for p in v)}" for k, v in found.items() if v]
    return "; ".join(parts) if parts else "no ADC2021 file names"


def resolve(folder: str, signals, *, background: str | None = None, signal_paths: dict | None = None,
            ) -> DataFiles:
    """Paths of the background and of every signal in ``signals``.

    Parameters
    ----------
    folder : data folder (``--data``).
    signals : iterable of signal keys (:data:`SIGNAL_STEMS`) that are needed.
    background : explicit background file (``--background``), overrides the folder.
    signal_paths : explicit {key: path} (``--signal NAME=PATH``), override the folder.

    Raises :class:`l1ot.errors.ConfigError` naming the folder and what was
    found when a needed file is missing or ambiguous, or an explicit file does
    not exist.
    """
    signal_paths = dict(signal_paths or {})
    for k, p in list(signal_paths.items()) + ([("background", background)] if background else []):
        if not os.path.isfile(p):
            raise ConfigError(f"{'--background' if k == 'background' else '--signal ' + k}: file {p} does not exist")
    need_folder = background is None or any(s not in signal_paths for s in signals)
    found = scan(folder) if need_folder else {}
    out = DataFiles(background=background or "", blackbox=found.get("blackbox", []))
    if background is None:
        cands = found["background"]
        if not cands:
            bb = (f"; {', '.join(os.path.basename(p) for p in found['blackbox'])} is the challenge's black box "
                  "(background mixed with unknown signal), used as background only with --background PATH"
                  if found["blackbox"] else "")
            raise ConfigError(f"data folder {folder}: no {BACKGROUND_NAME} (found {_summary(found)}){bb}; "
                              "name the file with --background PATH")
        out.background = cands[0]
    for s in signals:
        if s not in SIGNAL_STEMS:
            raise ConfigError(f"unknown signal {s!r}; known: {', '.join(SIGNAL_STEMS)}")
        if s in signal_paths:
            out.signals[s] = signal_paths[s]
            continue
        _check_signal(folder, s, found)
        out.signals[s] = found[s][0]
    return out


def signal_path(data_dir, sig: str) -> str:
    """Path of signal ``sig``: ``data_dir`` is a :class:`DataFiles`, a {key: path} mapping or a folder."""
    if isinstance(data_dir, DataFiles):
        return data_dir.signals[sig]
    if isinstance(data_dir, dict):
        return data_dir[sig]
    found = scan(data_dir)
    if sig not in SIGNAL_STEMS:
        raise ConfigError(f"unknown signal {sig!r}; known: {', '.join(SIGNAL_STEMS)}")
    _check_signal(data_dir, sig, found)
    return found[sig][0]


def _check_signal(folder, s, found):
    cands = found[s]
    if len(cands) > 1:
        raise ConfigError(f"data folder {folder} is ambiguous for signal {s}: "
                          f"{' and '.join(os.path.basename(p) for p in cands)} are both present "
                          f"(found {_summary(found)}); choose one with --signal {s}=PATH")
    if not cands:
        raise ConfigError(f"data folder {folder}: no file for signal {s} "
                          f"({SIGNAL_STEMS[s]}.h5 or {SIGNAL_STEMS[s]}_filtered.h5; found {_summary(found)}); "
                          f"name it with --signal {s}=PATH")
