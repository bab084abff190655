"""The package layout cannot rot: every l1ot import points downward.

Parses every module of ``model/l1ot`` (including imports inside functions)
and checks each import of an l1ot module against the layer table below. A
lower layer importing an upper one (for example ``l1ot.kernel`` importing
``l1ot.evaluation``, or anything below ``commands`` importing ``l1ot.cli``)
fails, naming the file and line.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "model" / "l1ot"

BOTTOM = {"l1ot", "l1ot.errors", "l1ot.progress", "l1ot.paths", "l1ot.outputs"}
#: unit -> the units it may import (besides itself and the bottom layer)
ALLOWED = {
    "bottom": set(),
    "io": set(),
    "sim": set(),
    "ot": {"io"},
    "kernel": {"ot", "io"},
    "evaluation": {"kernel", "ot", "io"},
    "paper1": {"evaluation", "kernel", "ot", "io"},
    "ae": {"evaluation", "io"},
    "export": {"kernel", "ot", "io"},
    "engine": {"io"},
    "multiscale": {"io", "ot", "engine", "evaluation", "sim"},
    "commands": {"multiscale", "ae", "engine", "export", "paper1", "evaluation", "kernel", "ot", "io", "sim"},
    "artifacts": {"cli", "commands", "multiscale", "ae", "engine", "export", "paper1", "evaluation", "kernel", "ot", "io", "sim"},
    "cli": {"commands", "multiscale", "ae", "engine", "export", "paper1", "evaluation", "kernel", "ot", "io", "sim"},
}
UPPER = ("commands", "cli", "artifacts")


def unit_of(mod: str) -> str:
    """Layer unit of an absolute module name (``l1ot.kernel.fixed`` -> ``kernel``)."""
    if mod in BOTTOM or any(mod.startswith(b + ".") for b in BOTTOM - {"l1ot"}):
        return "bottom"
    head = mod.split(".")[1]
    if head not in ALLOWED:
        raise AssertionError(f"module {mod} is in no layer of tests/test_layout.py: add it to ALLOWED")
    return head


def module_name(path: Path, root: Path = PKG) -> tuple[str, bool]:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts = parts[:-1]
    return ".".join(parts), is_pkg


def l1ot_imports(path: Path, root: Path = PKG):
    """Yield (line, absolute module) for every import of an l1ot module in ``path``."""
    mod, is_pkg = module_name(path, root)
    pkg = mod if is_pkg else mod.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "l1ot" or a.name.startswith("l1ot."):
                    yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = pkg.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            elif node.module and (node.module == "l1ot" or node.module.startswith("l1ot.")):
                base = node.module
            else:
                continue
            for a in node.names:  # `from l1ot.x import y`: y may be a module
                cand = f"{base}.{a.name}"
                sub = root.parent / cand.replace(".", "/")
                yield node.lineno, cand if (sub.with_suffix(".py").is_file() or sub.is_dir()) else base


def all_modules():
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_subpackage_has_a_layer():
    for p in PKG.iterdir():
        if p.is_dir() and (p / "__init__.py").is_file():
            assert p.name in ALLOWED, f"subpackage {p.name} has no layer in tests/test_layout.py"


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_downward(path):
    src_unit = unit_of(module_name(path)[0])
    bad = []
    for line, target in l1ot_imports(path):
        dst = unit_of(target)
        if dst in (src_unit, "bottom"):
            continue
        if dst not in ALLOWED[src_unit]:
            bad.append(f"{path.relative_to(PKG.parent)}:{line} ({src_unit}) imports {target} ({dst})")
    assert not bad, "upward or sideways import:\n" + "\n".join(bad)


def test_lower_layers_never_import_the_top():
    offenders = []
    for path in all_modules():
        unit = unit_of(module_name(path)[0])
        if unit in UPPER:
            continue
        for line, target in l1ot_imports(path):
            if unit_of(target) in UPPER:
                offenders.append(f"{path.relative_to(PKG.parent)}:{line} imports {target}")
    assert not offenders, "\n".join(offenders)


def test_checker_sees_an_upward_import(tmp_path):
    """The checker itself can fail: a planted upward import is reported."""
    fake = tmp_path / "l1ot" / "kernel"
    fake.mkdir(parents=True)
    (tmp_path / "l1ot" / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text("def f():\n    from ..evaluation import metrics\n    from ..cli import main\n")
    (tmp_path / "l1ot" / "evaluation").mkdir()
    (tmp_path / "l1ot" / "evaluation" / "metrics.py").write_text("")
    found = [t for _, t in l1ot_imports(fake / "bad.py", root=tmp_path / "l1ot")]
    assert found == ["l1ot.evaluation.metrics", "l1ot.cli"]
    assert {unit_of(t) for t in found} - ALLOWED["kernel"] == {"evaluation", "cli"}


# -- inside a unit: the engine's modules, and scripts/ against scripts/studies/ --------------------
#: module -> the modules of its own unit it may import (the package __init__ re-exports them all)
INTRA = {
    "l1ot.engine.partitions": set(),
    "l1ot.engine.cluster": {"l1ot.engine.partitions"},
    # export: golden vectors from the bottom (identity, vectors) up to the orchestration (golden)
    "l1ot.export.identity": set(),
    "l1ot.export.vectors": set(),
    "l1ot.export.search": {"l1ot.export.vectors"},
    "l1ot.export.species": {"l1ot.export.vectors"},
    "l1ot.export.boundary": {"l1ot.export.search", "l1ot.export.vectors"},
    "l1ot.export.golden": {"l1ot.export.boundary", "l1ot.export.search", "l1ot.export.species",
                           "l1ot.export.vectors"},
    "l1ot.export.vectorfile": {"l1ot.export.identity"},
    "l1ot.export.rtl": set(),
    "l1ot.export.regs": {"l1ot.export.rtl"},
    "l1ot.export.refmem": {"l1ot.export.regs", "l1ot.export.rtl", "l1ot.export.sv"},
    "l1ot.export.graded_golden": {"l1ot.export.search", "l1ot.export.vectorfile", "l1ot.export.vectors"},
    "l1ot.export.sv": {"l1ot.export.rtl"},
    "l1ot.export.cmvm": {"l1ot.export.rtl"},
    "l1ot.export.hls": {"l1ot.export.identity"},
    "l1ot.export.gt": {"l1ot.export.identity", "l1ot.export.vectorfile", "l1ot.export.rtl"},
}
SCRIPTS = PKG.parents[1] / "scripts"


def intra_violations(path: Path, root: Path = PKG) -> list[str]:
    """Imports in ``path`` of a module of its own unit (or of the unit's package, whose
    ``__init__`` may re-export its modules) that :data:`INTRA` does not allow."""
    mod = module_name(path, root)[0]
    unit = mod.rsplit(".", 1)[0]
    out = []
    for line, target in l1ot_imports(path, root):
        if (target == unit or target.startswith(unit + ".")) and target != mod and target not in INTRA[mod]:
            out.append(f"{path.relative_to(root.parent)}:{line} ({mod}) imports {target}")
    return out


def test_intra_table_is_a_hierarchy():
    """INTRA has no cycle: every module's allowed imports sit strictly below it."""
    depth = {}

    def level(m, seen=()):
        assert m not in seen, f"INTRA cycle through {m}"
        if m not in depth:
            depth[m] = 1 + max((level(t, seen + (m,)) for t in INTRA.get(m, ())), default=0)
        return depth[m]

    for m in INTRA:
        level(m)


def test_export_modules_point_downward():
    """The golden-vector modules (and the other exports) import only the export modules below them."""
    exp = PKG / "export"
    mods = {module_name(p)[0] for p in exp.glob("*.py") if p.name != "__init__.py"}
    missing = mods - set(INTRA)
    assert not missing, f"export modules {sorted(missing)} have no entry in INTRA of tests/test_layout.py"
    bad = [b for p in sorted(exp.glob("*.py")) if p.name != "__init__.py" for b in intra_violations(p)]
    assert not bad, "upward import inside l1ot.export:\n" + "\n".join(bad)
    tree = ast.parse((exp / "__init__.py").read_text())
    assert not [n for n in tree.body if not isinstance(n, ast.Expr)], "l1ot/export/__init__.py only documents"


def test_intra_checker_sees_an_upward_import(tmp_path):
    """The check can fail: a copy of l1ot.export where vectors imports golden (and search
    imports boundary, inside a function) is reported, naming both lines."""
    import shutil

    root = tmp_path / "l1ot"
    root.mkdir()
    (root / "__init__.py").write_text("")
    shutil.copytree(PKG / "export", root / "export", ignore=shutil.ignore_patterns("__pycache__"))
    vec = root / "export" / "vectors.py"
    vec.write_text(vec.read_text() + "\nfrom .golden import CATEGORIES\n")
    sea = root / "export" / "search.py"
    sea.write_text(sea.read_text() + "\n\ndef f():\n    from . import boundary\n    return boundary\n")
    assert intra_violations(root / "export" / "golden.py", root) == []
    bad = intra_violations(vec, root) + intra_violations(sea, root)
    assert len(bad) == 2, bad
    assert "(l1ot.export.vectors) imports l1ot.export.golden" in bad[0]
    assert "(l1ot.export.search) imports l1ot.export.boundary" in bad[1]


def test_engine_modules_point_downward_and_init_only_reexports():
    eng = PKG / "engine"
    mods = {module_name(p)[0] for p in eng.glob("*.py") if p.name != "__init__.py"}
    assert mods == {m for m in INTRA if m.startswith("l1ot.engine.")}, \
        f"engine modules {sorted(mods)} not all in INTRA of tests/test_layout.py"
    bad = [b for p in eng.glob("*.py") if p.name != "__init__.py" for b in intra_violations(p)]
    assert not bad, "\n".join(bad)
    tree = ast.parse((eng / "__init__.py").read_text())
    defs = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
    assert not defs, f"l1ot/engine/__init__.py defines {defs}: the implementation lives in its modules"
    import l1ot.engine as e

    for name in ("Engine", "EngineError", "partitions", "usable_cores", "DEFAULT_PARTITION"):
        assert hasattr(e, name), name


def _script_imports(path: Path):
    """Module names a script imports or loads by path (``scripts/...py`` strings)."""
    text = path.read_text()
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".py"):
            yield node.value


def test_studies_are_apart_from_the_tools():
    studies = SCRIPTS / "studies"
    names = {p.stem for p in studies.glob("*.py")}
    assert {"leakage_study", "qcd_pthat_study", "pileup_study", "precision_scan"} <= names
    stray = [p.name for p in SCRIPTS.glob("*.py") if p.stem.endswith("_study") or p.stem in names]
    assert not stray, f"one-off studies belong in scripts/studies/: {stray}"
    for p in SCRIPTS.glob("*.py"):   # a tool a user runs never needs a study
        bad = [m for m in _script_imports(p) if any(n in m for n in names)]
        assert not bad, f"{p.relative_to(SCRIPTS.parent)} uses the studies {bad}"
    for p in studies.glob("*.py"):   # studies use the package, not each other
        bad = [m for m in _script_imports(p) if any(n in m for n in names - {p.stem})]
        assert not bad, f"{p.relative_to(SCRIPTS.parent)} uses the studies {bad}"
