"""Synthesizability hygiene of the HLS kernel sources (hls/firmware/ and a generated parameters.h).

Rules, applied to the code left after removing comments, string literals and
host-only blocks (``#ifndef __SYNTHESIS__`` ... ``#else``/``#endif``):

* no dynamic memory (``new``, ``delete``, ``malloc``, ``calloc``, ``realloc``, ``free``);
* no STL / standard library (``std::``, ``#include <...>``);
* no floating point (``float``, ``double``, floating literals);
* no unbounded loops (``while``, ``do``, ``goto``, ``for`` without a condition);
* no recursion (a function body calling a function of the same name);
* no host I/O outside host-only blocks (``printf``, ``cout``, ``cerr``, ``exit``, ``assert``...).

The checker is itself tested on bad snippets, so it can fail.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "hls" / "firmware"


# ---------------------------------------------------------------------------
# checker
# ---------------------------------------------------------------------------
def strip_comments_and_strings(src: str) -> str:
    """Remove // and /* */ comments and the contents of string/char literals (keep newlines)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * src.count("\n", i, j))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def synthesis_view(src: str) -> str:
    """Drop the host-only parts: ``#ifndef __SYNTHESIS__`` / ``#if !defined(__SYNTHESIS__)`` blocks
    up to their ``#else`` or ``#endif`` (nested conditionals are tracked)."""
    out = []
    stack = []  # per open conditional: True if its current branch is host-only
    for line in src.splitlines():
        s = line.strip()
        if re.match(r"#\s*if", s):
            host = bool(re.match(r"#\s*ifndef\s+__SYNTHESIS__\b", s)
                        or re.match(r"#\s*if\s+!\s*defined\s*\(?\s*__SYNTHESIS__", s))
            stack.append(host)
            out.append("" if any(stack[:-1]) else line)
            continue
        if re.match(r"#\s*(else|elif)", s) and stack:
            stack[-1] = False if stack[-1] else stack[-1]
            out.append("")
            continue
        if re.match(r"#\s*endif", s) and stack:
            stack.pop()
            out.append("")
            continue
        out.append("" if any(stack) else line)
    return "\n".join(out)


_RULES = [
    ("dynamic memory", re.compile(r"\bnew\b|\bdelete\b|\b(malloc|calloc|realloc|free)\s*\(")),
    ("standard library", re.compile(r"\bstd\s*::|#\s*include\s*<")),
    ("floating point", re.compile(r"\b(float|double)\b|(?<![\w.])\d+\.\d*(?:[eE][+-]?\d+)?[fFlL]?\b"
                                  r"|(?<![\w.])\.\d+|(?<![\w.])\d+[eE][+-]?\d+\b")),
    ("unbounded loop", re.compile(r"\bwhile\b|\bdo\s*\{|\bgoto\b")),
    ("host I/O outside #ifndef __SYNTHESIS__",
     re.compile(r"\b(printf|fprintf|puts|cout|cerr|fopen|exit|abort|assert)\b")),
]

_NOT_FUNCS = {"if", "for", "while", "switch", "return", "sizeof", "static_assert", "defined"}


def _matching(src: str, i: int, open_c: str, close_c: str) -> int:
    depth = 0
    for j in range(i, len(src)):
        if src[j] == open_c:
            depth += 1
        elif src[j] == close_c:
            depth -= 1
            if depth == 0:
                return j
    return len(src) - 1


def check_source(src: str) -> list[str]:
    """Violations (``"rule: excerpt"``) in one C++ source text."""
    code = synthesis_view(strip_comments_and_strings(src))
    problems = []
    for name, rx in _RULES:
        for m in rx.finditer(code):
            line = code.count("\n", 0, m.start()) + 1
            problems.append(f"{name}: line {line}: {m.group(0)!r}")
    # for loops must have a condition
    for m in re.finditer(r"\bfor\s*\(", code):
        close = _matching(code, m.end() - 1, "(", ")")
        parts = code[m.end():close].split(";")
        if len(parts) != 3 or not parts[1].strip():
            line = code.count("\n", 0, m.start()) + 1
            problems.append(f"unbounded loop: line {line}: for without a condition")
    # recursion: a function definition whose body calls the same name
    for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(([^;{}()]|\([^()]*\))*\)\s*(const\s*)?\{", code):
        name = m.group(1)
        if name in _NOT_FUNCS:
            continue
        body_end = _matching(code, m.end() - 1, "{", "}")
        body = code[m.end():body_end]
        if re.search(r"(?<![\w.>:])" + re.escape(name) + r"\s*(<[^;(){}]*>)?\s*\(", body):
            line = code.count("\n", 0, m.start()) + 1
            problems.append(f"recursion: line {line}: {name} calls itself")
    return problems


# ---------------------------------------------------------------------------
# the checker can fail
# ---------------------------------------------------------------------------
BAD = {
    "dynamic memory": "void f(int *&p) { p = new int[4]; }",
    "malloc": "void f() { void *p = malloc(4); (void)p; }",
    "standard library": "#include <vector>\nvoid f() { std::vector<int> v; }",
    "floating point": "float f(int x) { return x * 0.5; }",
    "double literal": "int f(int x) { return x * 1e3; }",
    "unbounded while": "void f(int x) { while (x) { x--; } }",
    "unbounded for": "void f(int x) { for (;;) { if (x) break; } }",
    "recursion": "int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }",
    "template recursion": ("template <int N> int sum(const int *x) { return x[0] + sum<N - 1>(x + 1); }"),
    "host I/O": "void f(int x) { printf(\"%d\", x); }",
    "host I/O under #ifdef": "#ifdef __SYNTHESIS__\nvoid f() {}\n#else\nvoid g() {}\n#endif\n"
                             "void h() { std::printf(\"x\"); }",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_checker_flags_bad_snippet(name):
    assert check_source(BAD[name]), f"checker missed: {name}"


def test_checker_accepts_host_only_blocks_and_comments():
    good = """
    // a comment with new, malloc, float, while, std::vector
    /* block comment: double 1.5 */
    #include "ap_int.h"
    #ifndef __SYNTHESIS__
    #include <vector>
    #include <cstdio>
    inline void dump(int x) { std::vector<int> v(1, x); std::printf("%d %f\\n", v[0], 0.5); while (0) {} }
    #endif
    template <int N> int sum(const int x[N]) {
        int s = 0;
    Loop:
        for (int i = 0; i < N; i++) { s += x[i]; }
    #ifndef __SYNTHESIS__
        dump(s);
    #else
        s += 0;
    #endif
        return s;
    }
    const char *msg = "new while float";
    """
    assert check_source(good) == []
    # but the #else branch of a host-only block is synthesis code
    assert check_source("#ifndef __SYNTHESIS__\nint a;\n#else\nfloat b;\n#endif\n")


# ---------------------------------------------------------------------------
# the real sources
# ---------------------------------------------------------------------------
def _firmware_files():
    files = sorted(FIRMWARE.glob("*.h")) + sorted(FIRMWARE.glob("*.cpp"))
    assert files, "no HLS sources found"
    return files


@pytest.mark.parametrize("path", _firmware_files(), ids=lambda p: p.name)
def test_firmware_source_is_synthesizable(path):
    assert check_source(path.read_text()) == []


def test_generated_parameters_h_is_synthesizable(tmp_path):
    from l1ot.kernel import fixed
    from l1ot.export.hls import write_parameters_h

    cfg = fixed.KernelConfig.load()
    rng = np.random.default_rng(1)
    ev = np.zeros((4, 19, 4), np.float32)
    ev[:, :8, 0] = rng.exponential(30.0, (4, 8))
    ev[:, :8, 1] = rng.uniform(-3, 3, (4, 8))
    ev[:, :8, 2] = rng.uniform(-3, 3, (4, 8))
    rom = fixed.medoid_rom(ev, cfg)

    class Model:
        threshold, path, medoid_events = 5, None, ev

    p = write_parameters_h(cfg, Model(), rom, tmp_path / "parameters.h")
    text = p.read_text()
    assert check_source(text) == []
    # generated from the sources of truth: every comparator of the network appears, layer by layer
    calls = re.findall(r"compare_exchange\(w\[(\d+)\], w\[(\d+)\]\)", text)
    assert [tuple(map(int, c)) for c in calls] == [tuple(c) for c in cfg.network.comparators]
    assert f"ap_uint<{cfg.d_bits}> dist_t" in text and f"ap_uint<{cfg.word_bits}> obj_word_t" in text


def test_host_only_code_is_guarded():
    """Everything that only the host may run sits under #ifndef __SYNTHESIS__ (the rule above);
    additionally the host-only blocks exist where expected (kernel statistics)."""
    kernel = (FIRMWARE / "l1ot_kernel.h").read_text()
    view = synthesis_view(strip_comments_and_strings(kernel))
    assert "kernel_stats" in kernel and "kernel_stats" not in view
