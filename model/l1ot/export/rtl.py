"""Per-export RTL: every module and package name of one export carries the export's name.

One export is one configuration (precision config, sorting network, model, K). So that
several exports (K = 8 beside K = 32, two transports, Phase-2 beside Run-3) and other
da4ml blocks (the autoencoder of ``l1ot ae``) can sit in one design, the export's name
``NAME`` (``l1ot export --name``; default :func:`default_name`, e.g. ``l1ot_k32``)
replaces the ``l1ot`` of every canonical name:

================================  ==========================  ===========================
canonical name                    in export ``NAME``          written by
================================  ==========================  ===========================
package ``l1ot_params_pkg``       ``NAME_params_pkg``         :mod:`l1ot.export.sv`
package ``l1ot_gt_pkg``          ``NAME_gt_pkg``             :mod:`l1ot.export.gt`
``l1ot_cmvm_pkg``, ``l1ot_cmvm``  ``NAME_cmvm_pkg``, ...      :mod:`l1ot.export.cmvm`
``l1ot_cmvm_core[_stageN]``       ``NAME_cmvm_core[_stageN]`` :mod:`l1ot.export.cmvm`
da4ml ``shift_adder``, ...        ``NAME_shift_adder``, ...   :mod:`l1ot.export.cmvm`
hand-written ``l1ot_<x>``         ``NAME_<x>`` (``NAME_<x>.sv``)  :func:`write_rtl` (here)
================================  ==========================  ===========================

The hand-written modules of ``firmware/rtl`` are the source; the export holds
renamed copies (a whole-word substitution of the canonical names, nothing else
changes). With ``NAME = l1ot`` the copies equal the originals. Which files a top
needs is read from its ``.f`` list in ``firmware/rtl`` (:data:`TOPS`): the one list
behind the cosim, the Yosys flow, the export, its FuseSoC core and its ipbb ``.dep``.

Compile order of an export (:func:`sources`): ``l1ot_params_pkg.sv``, the GT
word package ``l1ot_gt_pkg.sv`` (GT-word wrapper ``l1ot_gt_kernel``; Phase-2 exports
only), the graph (``l1ot_cmvm.sv``, or ``l1ot_cmvm_comb.sv`` for the Run-3 preset),
then the copies in ``.f`` order. An export holds the copies of the tops its generated
files support (:func:`export_tops`). File names of the generated files do not change with ``NAME``; the
copies are named after their module.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..errors import ConfigError

REPO = Path(__file__).resolve().parents[3]
RTL = REPO / "firmware" / "rtl"
#: tops an export provides, each with its ``.f`` source list in ``firmware/rtl``
TOPS = {"l1ot_kernel": "l1ot_kernel.f", "l1ot_kernel_cm": "l1ot_kernel_cm.f",
        "l1ot_gt_kernel": "l1ot_gt_kernel.f", "l1ot_kernel_cm_ipb": "l1ot_kernel_cm_ipb.f"}
#: tops that need the generated constant-matrix graph
GRAPH_TOPS = ("l1ot_kernel_cm", "l1ot_gt_kernel", "l1ot_kernel_cm_ipb")
#: tops that need the generated register package (l1ot.export.regs)
REGS_TOPS = ("l1ot_kernel_cm_ipb",)
#: tops that need the generated GT word package (Phase-2 exports)
GT_TOPS = ("l1ot_gt_kernel",)
#: canonical names written by the generators (not declared in firmware/rtl)
GENERATED = ("l1ot_params_pkg", "l1ot_cmvm_pkg", "l1ot_cmvm", "l1ot_gt_pkg", "l1ot_regs_pkg")
PACKAGE_FILE = "l1ot_params_pkg.sv"
GT_PACKAGE_FILE = "l1ot_gt_pkg.sv"
REGS_PACKAGE_FILE = "l1ot_regs_pkg.sv"
GRAPH_FILES = {"pipelined": "l1ot_cmvm.sv", "comb": "l1ot_cmvm_comb.sv"}
_NAME_RE = re.compile(r"[a-z][a-z0-9_]*[a-z0-9]")
_DECL_RE = re.compile(r"^\s*(?:module|package)\s+(\w+)", re.M)


def check_name(name: str) -> str:
    """``name`` if it can prefix SystemVerilog identifiers and file names, else ConfigError."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or "__" in name or len(name) > 40:
        raise ConfigError(f"export name {name!r}: expected lower-case letters, digits and single "
                          "underscores, starting with a letter, at most 40 characters (e.g. l1ot_k32)")
    return name


def default_name(k: int, transport: str = "sorted") -> str:
    """``l1ot_k<K>``, with ``_<transport>`` unless the transport is ``sorted``."""
    return check_name(f"l1ot_k{int(k)}" + ("" if transport == "sorted" else f"_{transport}"))


def prefixed(canonical: str, name: str) -> str:
    """``l1ot_<x>`` -> ``<name>_<x>``."""
    if not canonical.startswith("l1ot_"):
        raise ConfigError(f"{canonical}: canonical RTL names start with l1ot_")
    return f"{name}_{canonical[len('l1ot_'):]}"


def tops_for(with_graph: bool = True, with_gt: bool = True, with_regs: bool = False) -> list[str]:
    """Tops an export provides: every top of :data:`TOPS` whose generated files it has."""
    return [t for t in TOPS if (with_graph or t not in GRAPH_TOPS) and (with_gt or t not in GT_TOPS)
            and (with_regs or t not in REGS_TOPS)]


def export_tops(export_dir) -> list[str]:
    """Tops of an export folder, from the generated files it holds (graph, GT package)."""
    exp = Path(export_dir)
    return tops_for((exp / GRAPH_FILES["pipelined"]).is_file(), (exp / GT_PACKAGE_FILE).is_file(),
                    (exp / REGS_PACKAGE_FILE).is_file())


def hand_files(tops=tuple(TOPS)) -> list[Path]:
    """Hand-written sources of ``tops`` in compile order (union of their ``.f`` lists)."""
    out = []
    for top in tops:
        f = RTL / TOPS[top]
        for line in f.read_text().splitlines():
            line = line.split("//")[0].strip()
            if line and (f.parent / line).resolve() not in out:
                out.append((f.parent / line).resolve())
    return out


def canonical_names() -> list[str]:
    """Every name an export renames: modules and packages declared in the hand-written
    sources of :data:`TOPS`, and :data:`GENERATED`."""
    names = set(GENERATED)
    for p in hand_files():
        for n in _DECL_RE.findall(p.read_text()):
            if not n.startswith("l1ot_"):
                raise ConfigError(f"{p}: module {n} does not start with l1ot_ (cannot be prefixed)")
            names.add(n)
    return sorted(names, key=len, reverse=True)


def rename(text: str, name: str, names=None) -> str:
    """``text`` with every whole-word canonical name replaced by its prefixed one."""
    names = canonical_names() if names is None else names
    if name == "l1ot":
        return text
    pat = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    return pat.sub(lambda m: prefixed(m.group(1), name), text)


def copy_name(src: Path, name: str) -> str:
    """File name of the renamed copy of ``src`` (``l1ot_x.sv`` -> ``<name>_x.sv``)."""
    return prefixed(Path(src).name, name)


def _write_if_changed(path: Path, text: str) -> None:
    """Write atomically, and only when the content changes (no needless Verilator rebuild)."""
    if path.is_file() and path.read_text() == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)   # mkstemp makes 0600
    os.replace(tmp, path)


def write_rtl(out, name: str, file_for=None, tops=tuple(TOPS)) -> list[Path]:
    """Renamed copies of the hand-written sources of ``tops`` in folder ``out``; returns their paths.

    ``file_for(path) -> str`` maps a final path to the path to write (an
    :class:`l1ot.outputs.Transaction`'s ``file``); default: written in place,
    only when the content changed.
    """
    check_name(name)
    out = Path(out)
    names = canonical_names()
    paths = []
    for src in hand_files(tops):
        dst = out / copy_name(src, name)
        text = rename(src.read_text(), name, names)
        if file_for is None:
            _write_if_changed(dst, text)
        else:
            Path(file_for(dst)).write_text(text)
        paths.append(dst)
    return paths


def refresh_export(export_dir) -> list[Path]:
    """Rewrite an export's renamed copies from the current ``firmware/rtl`` and, if the
    export has them, its core and dep file from the current ``.f`` lists (version and
    description kept); files are written only when their text changes. Returns the copies."""
    exp = Path(export_dir)
    name = export_name(exp)
    tops = export_tops(exp)
    copies = write_rtl(exp, name, tops=tops)
    core = exp / f"{name}.core"
    if core.is_file():
        text = core.read_text()
        m = re.search(r"^# GENERATED by l1ot export \((.*)\); do not edit\.$", text, re.M)
        v = re.search(rf"^name: l1ot:kernel:{re.escape(name)}:(\S+)$", text, re.M)
        if m and v:
            graph = (exp / GRAPH_FILES["pipelined"]).is_file()
            gt = (exp / GT_PACKAGE_FILE).is_file()
            _write_if_changed(core, core_text(name, v.group(1), m.group(1), with_graph=graph, with_gt=gt))
            _write_if_changed(exp / f"{name}.dep", dep_text(name, m.group(1), with_graph=graph, with_gt=gt))
    return copies


def export_name(export_dir) -> str:
    """The name of an export folder, read from its package declaration."""
    pkg = Path(export_dir) / PACKAGE_FILE
    try:
        m = re.search(r"^package\s+(\w+)_params_pkg\s*;", pkg.read_text(), re.M)
    except OSError as exc:
        raise ConfigError(f"{pkg}: cannot read the export's package ({exc.strerror})") from None
    if not m:
        raise ConfigError(f"{pkg}: no 'package <name>_params_pkg;' declaration")
    return m.group(1)


def sources(export_dir, top: str = "l1ot_kernel_cm", graph: str = "pipelined", refresh: bool = True) -> list[Path]:
    """Ordered sources of ``top`` of an export: package, GT package (tops of
    :data:`GT_TOPS`), graph (tops of :data:`GRAPH_TOPS`), then the renamed copies of
    the top's ``.f`` list.

    ``refresh``: rewrite the copies (and core and dep file) from the current
    ``firmware/rtl`` first (:func:`refresh_export`; a change there, e.g. a planted mutant or a
    new file in a ``.f`` list, reaches every flow without a new export).
    """
    exp = Path(export_dir)
    name = export_name(exp)
    if refresh:
        refresh_export(exp)
    files = [exp / PACKAGE_FILE]
    if top in REGS_TOPS:
        files.append(exp / REGS_PACKAGE_FILE)
    if top in GT_TOPS:
        files.append(exp / GT_PACKAGE_FILE)
    if top in GRAPH_TOPS:
        files.append(exp / GRAPH_FILES[graph])
    files += [exp / copy_name(p, name) for p in hand_files((top,))]
    return files


def top_name(export_dir, top: str = "l1ot_kernel_cm") -> str:
    """Module name of ``top`` in an export (e.g. ``l1ot_k32_kernel_cm``)."""
    return prefixed(top, export_name(export_dir))


# ------------------------------------------------------------------ packaging

def file_list(name: str, graph: str = "pipelined", with_graph: bool = True, with_gt: bool = True) -> list[str]:
    """File names of an export in compile order (the one list of the core and the dep file)."""
    tops = tops_for(with_graph, with_gt)
    files = [PACKAGE_FILE] + ([GT_PACKAGE_FILE] if with_gt and with_graph else [])
    files += [GRAPH_FILES[graph]] if with_graph else []
    return files + [copy_name(p, name) for p in hand_files(tops)]


def core_text(name: str, version: str, description: str, with_graph: bool = True, with_gt: bool = True) -> str:
    """FuseSoC CAPI2 core of an export (every file relative to the core's folder).

    Targets: ``default`` (the files, top ``NAME_kernel_cm``), ``lint`` (edalize's lint
    flow: Verilator ``--lint-only -Wall``), and with the GT package (Phase-2 exports)
    ``lint_gt`` (the same flow, top the GT-word wrapper ``NAME_gt_kernel``). The use flag
    ``l1ot_comb`` swaps in the combinational graph (Run-3 preset).
    """
    with_gt = with_gt and with_graph
    pipe = file_list(name, "pipelined", with_graph, with_gt)
    top = prefixed("l1ot_kernel_cm" if with_graph else "l1ot_kernel", name)
    pkgs = [PACKAGE_FILE] + ([GT_PACKAGE_FILE] if with_gt else [])
    rtl = [f for f in pipe if f not in GRAPH_FILES.values() and f not in pkgs]
    L = ["CAPI=2:", f"# GENERATED by l1ot export ({description}); do not edit.",
         f"name: l1ot:kernel:{name}:{version}",
         f"description: \"l1ot OT anomaly-score kernel, export {name}\"", "",
         "filesets:",
         "  pkg:", "    file_type: systemVerilogSource", "    files:"] + [f"      - {f}" for f in pkgs]
    if with_graph:
        L += ["  graph:", "    file_type: systemVerilogSource", "    files:",
              f"      - \"!l1ot_comb ? ({GRAPH_FILES['pipelined']})\"",
              f"      - \"l1ot_comb ? ({GRAPH_FILES['comb']})\""]
    L += ["  rtl:", "    file_type: systemVerilogSource", "    files:"] + [f"      - {f}" for f in rtl]
    sets = "[pkg, graph, rtl]" if with_graph else "[pkg, rtl]"
    L += ["", "targets:",
          "  default:", f"    filesets: {sets}", f"    toplevel: {top}",
          "  lint:", f"    filesets: {sets}", f"    toplevel: {top}", "    flow: lint",
          "    flow_options:", "      tool: verilator", "      verilator_options: [-Wall]"]
    if with_gt:
        L += ["  lint_gt:", f"    filesets: {sets}", f"    toplevel: {prefixed('l1ot_gt_kernel', name)}",
              "    flow: lint", "    flow_options:", "      tool: verilator", "      verilator_options: [-Wall]"]
    return "\n".join(L + [""])


def dep_text(name: str, description: str, with_graph: bool = True, with_gt: bool = True) -> str:
    """ipbb ``.dep`` of an export: the same files as the core, one ``src`` line each.

    ``.dep`` files are read bottom to top, so the top module is first and the package
    last; paths are relative to the component's ``firmware/hdl`` (copy the export folder
    there, or edit the ``--cd`` of each line).
    """
    files = file_list(name, "pipelined", with_graph, with_gt)
    L = [f"# GENERATED by l1ot export ({description}); do not edit.",
         "# ipbb reads .dep files bottom to top: the package is compiled first.",
         f"# Run-3 preset: replace {GRAPH_FILES['pipelined']} by {GRAPH_FILES['comb']}." if with_graph else "#"]
    L += [f"src {f}" for f in reversed(files)]
    return "\n".join(L) + "\n"
