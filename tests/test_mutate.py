"""The mutation runner's own logic (scripts/mutate.py) on a toy tree; `make mutate` itself is not run here.

A toy repository with one function ``ge(a, b) = a >= b`` and small check
scripts: a mutant is killed by a strong check, survives a weak one, is an error
when its old text is missing or ambiguous or its check's baseline fails, and a
timeout counts as a kill. The user's tree must be byte-identical afterwards and
no scratch copy may be left behind.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "mutate.py"

CALC = "def ge(a, b):\n    return a >= b\n\n\ndef twice(x):\n    y = x + x\n    y = x + x\n    return y\n"
STRONG = "import sys\nsys.path.insert(0, 'pkg')\nimport calc\nsys.exit(0 if calc.ge(2, 2) and not calc.ge(1, 2) else 1)\n"
WEAK = "import sys\nsys.path.insert(0, 'pkg')\nimport calc\nsys.exit(0 if calc.ge(3, 1) else 1)\n"
HANG = ("import sys, time\nsys.path.insert(0, 'pkg')\nimport calc\n"
        "if not calc.ge(2, 2):\n    time.sleep(120)\n")


def mutant(id_, old, new, check, equivalent=None, file="pkg/calc.py"):
    s = (f"[[mutant]]\nid = \"{id_}\"\nlayer = \"model\"\nfile = \"{file}\"\nold = '''{old}'''\n"
         f"new = '''{new}'''\ncheck = \"{check}\"\ndescription = \"toy\"\n")
    if equivalent:
        s += f"equivalent = \"{equivalent}\"\n"
    return s + "\n"


@pytest.fixture
def toy(tmp_path):
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "calc.py").write_text(CALC)
    (root / "strong.py").write_text(STRONG)
    (root / "weak.py").write_text(WEAK)
    (root / "hang.py").write_text(HANG)
    (root / "fail.py").write_text("import sys\nsys.exit(1)\n")
    muts = (mutant("killed", "a >= b", "a > b", "python strong.py")
            + mutant("survives", "a >= b", "a > b", "python weak.py")
            + mutant("equiv", "a >= b", "not a < b", "python strong.py", equivalent="same truth table")
            + mutant("missing", "a <= b", "a < b", "python strong.py")
            + mutant("ambiguous", "y = x + x", "y = x * 3", "python strong.py")
            + mutant("timeout", "a >= b", "a > b", "python hang.py")
            + mutant("badbase", "a >= b", "a > b", "python fail.py")
            + mutant("nocompile", "return a >= b", "return a >=", "python strong.py"))
    (root / "mutants.toml").write_text(muts)
    return root


def run(root: Path, *args, tmpdir: Path):
    tmpdir.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmpdir))
    return subprocess.run([sys.executable, str(SCRIPT), "--repo", str(root), "--mutants", str(root / "mutants.toml"),
                           "--build", str(root / "build"), "--reports", str(root / "reports"),
                           "--timeout-min", "3", *args], capture_output=True, text=True, env=env, timeout=300)


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and "reports" not in p.parts and "build" not in p.parts}


def test_results_errors_and_tree_restored(toy, tmp_path):
    before = snapshot(toy)
    p = run(toy, tmpdir=tmp_path / "t")
    assert p.returncode == 1, p.stdout + p.stderr
    rep = json.loads((toy / "reports" / "mutation.json").read_text())
    res = {k: (v["result"], v.get("how", "")) for k, v in rep["results"].items()}
    assert res["killed"] == ("killed", "test failed")
    assert res["survives"] == ("survived", "")
    assert res["equiv"] == ("survived", "")
    assert res["missing"][0] == "error" and "occurs 0 times" in rep["results"]["missing"]["reason"]
    assert res["ambiguous"][0] == "error" and "occurs 2 times" in rep["results"]["ambiguous"]["reason"]
    assert res["timeout"] == ("killed", "timeout")
    assert res["badbase"] == ("error", "baseline failed")
    assert res["nocompile"] == ("killed", "build failed")
    assert not rep["baselines"]["python fail.py"]["ok"]
    md = (toy / "reports" / "mutation.md").read_text()
    assert "| killed | model |" in md and "**survived (equivalent)**" in md and "same truth table" in md
    assert "SURVIVED: survives" in p.stdout and "missing" in p.stdout
    # the tree is byte-identical (only reports/ and build/mutation/logs written); no scratch copy left
    assert snapshot(toy) == before
    assert list((tmp_path / "t").iterdir()) == []


def test_only_selection_passes_and_merges(toy, tmp_path):
    p = run(toy, "--only", "killed,equiv", tmpdir=tmp_path / "t")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 of 1 non-equivalent mutants killed" in p.stdout
    p = run(toy, "--only", "survives", tmpdir=tmp_path / "t")
    assert p.returncode == 1
    rep = json.loads((toy / "reports" / "mutation.json").read_text())
    assert set(rep["results"]) == {"killed", "equiv", "survives"}  # earlier results kept
    assert set(rep["baselines"]) == {"python strong.py", "python weak.py"}   # and their baselines


def test_list_reports_unapplicable_mutants(toy, tmp_path):
    p = run(toy, "--list", tmpdir=tmp_path / "t")
    assert p.returncode == 1
    assert "old text occurs 0 times" in p.stdout and "old text occurs 2 times" in p.stdout
    assert not (toy / "reports").exists()


@pytest.mark.parametrize("text, msg", [
    ("[[mutant]]\nid = \"x\"\n", "field 'layer' missing"),
    ("not toml [", "invalid TOML"),
    (mutant("a", "x", "y", "python s.py") + mutant("a", "x", "z", "python s.py"), "duplicate id"),
    (mutant("a", "x", "y", "python s.py").replace('"model"', '"vhdl"'), "layer 'vhdl'"),
])
def test_bad_mutants_file_is_one_line(toy, tmp_path, text, msg):
    (toy / "mutants.toml").write_text(text)
    p = run(toy, tmpdir=tmp_path / "t")
    assert p.returncode == 2
    assert msg in p.stderr and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_repository_mutants_file_applies():
    """Every mutant of mutation/mutants.toml finds its old text exactly once in this tree."""
    p = subprocess.run([sys.executable, str(SCRIPT), "--list"], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, p.stdout + p.stderr
    assert ", 0 not applicable" in p.stdout


def test_failing_prepare_step_stops_with_one_line(toy, tmp_path):
    text = (toy / "mutants.toml").read_text()
    (toy / "mutants.toml").write_text('prepare = ["python fail.py"]\n\n' + text)
    p = run(toy, "--only", "killed", tmpdir=tmp_path / "t")
    assert p.returncode == 2
    assert "prepare step 'python fail.py' failed" in p.stderr
    assert not (toy / "reports" / "mutation.json").exists()
    assert list((tmp_path / "t").iterdir()) == []


def test_report_only_refreshes_equivalence_and_drops_stale_checks(toy, tmp_path):
    assert run(toy, "--only", "killed,survives", tmpdir=tmp_path / "t").returncode == 1
    text = (toy / "mutants.toml").read_text()
    # 'survives' becomes equivalent; 'killed' gets another check (its old result is stale)
    text = text.replace('check = "python weak.py"\ndescription = "toy"\n',
                        'check = "python weak.py"\ndescription = "toy"\nequivalent = "weak by design"\n')
    text = text.replace('id = "killed"\nlayer = "model"\nfile = "pkg/calc.py"\nold = \'\'\'a >= b\'\'\'\n'
                        'new = \'\'\'a > b\'\'\'\ncheck = "python strong.py"',
                        'id = "killed"\nlayer = "model"\nfile = "pkg/calc.py"\nold = \'\'\'a >= b\'\'\'\n'
                        'new = \'\'\'a > b\'\'\'\ncheck = "python hang.py"')
    (toy / "mutants.toml").write_text(text)
    p = run(toy, "--report-only", tmpdir=tmp_path / "t")
    rep = json.loads((toy / "reports" / "mutation.json").read_text())
    assert set(rep["results"]) == {"survives"} and rep["results"]["survives"]["equivalent"] == "weak by design"
    assert p.returncode == 1 and "killed" in p.stdout  # 'killed' must be run again


def test_offline_selection_skips_prepare(toy, tmp_path):
    """A selection of offline-layer mutants only does not run the prepare steps (they build exports);
    a selection with another layer still does (the failing step stops it)."""
    text = (toy / "mutants.toml").read_text()
    off = mutant("off-killed", "a >= b", "a > b", "python strong.py").replace('"model"', '"offline"')
    (toy / "mutants.toml").write_text('prepare = ["python fail.py"]\n\n' + text + off)
    p = run(toy, "--layer", "offline", tmpdir=tmp_path / "t")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "prepare skipped" in p.stdout and "1 of 1 non-equivalent mutants killed" in p.stdout
    p = run(toy, "--only", "off-killed,killed", tmpdir=tmp_path / "t")
    assert p.returncode == 2 and "prepare step 'python fail.py' failed" in p.stderr
