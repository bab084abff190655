"""uhal, the CMS client, in a process of its own, driven from a cocotb test or a script.

uhal's Python binding keeps the interpreter lock while ``dispatch()`` waits for the
reply, so a uhal client in the simulator's process would stop the simulation (and the
endpoint thread) it waits for. :class:`UhalClient` therefore runs ``python
uhal_client.py URI TABLE`` as a child process and sends it one JSON line per
dispatch: a list of operations that uhal queues and sends with one ``dispatch()``
(so several transactions share one IPbus packet)::

    ["read", "NODE"]                 -> int
    ["write", "NODE", value]         -> null
    ["readBlock", "NODE", n]         -> [int, ...]
    ["writeBlock", "NODE", [v, ...]] -> null
    ["rawRead", addr]                -> int  (client level: no address-table permission check)
    ["rawWrite", addr, value]        -> null
    ["rawWriteBlock", addr, [v, ...]] -> null
    ["rmw_bits", addr, and, or]      -> int  (value before the change)
    ["rmw_sum", addr, addend]        -> int  (value before the change)

and reads back one JSON line: ``{"ok": true, "values": [...]}`` or ``{"ok": false,
"error": "<uhal exception type>: <message>"}``.
"""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path


class UhalError(RuntimeError):
    """uhal raised in the client process (bus error, access denied, timeout, ...)."""


class LoadFileError(ValueError):
    """A refmem load file that does not fit the target design (checked before any write)."""


def load_file_ops(load: dict, base: int = 0) -> list:
    """uhal operations for a refmem load file (``l1ot.export.refmem.read_load_file``): its
    writes in file order, contiguous addresses grouped into block writes, at slave base
    ``base``; the file's last write (the commit) stays a single write at the end."""
    ops, run = [], []
    for a, v in load["writes"]:
        if run and a == run[0][0] + len(run):
            run.append((a, v))
            continue
        if run:
            ops.append(["rawWriteBlock", base + run[0][0], [x for _, x in run]])
        run = [(a, v)]
    if run:
        ops.append(["rawWriteBlock", base + run[0][0], [x for _, x in run]])
    last = ops[-1]
    if len(last[2]) == 1:
        ops[-1] = ["rawWrite", last[1], last[2][0]]
    return ops


def check_load_target(header: dict, info: int, cfg_sha: int, fmt: int, where: str = "load file") -> None:
    """The run-time target check of a loader: the identification words read from the slave
    (INFO = format << 24 | N_OBJ << 16 | K, CFG_SHA, FORMAT) against the load file's header.
    LoadFileError naming the first field that differs."""
    checks = (("k", info & 0xFFFF, int(header["k"])),
              ("n_obj", (info >> 16) & 0xFF, int(header["n_obj"])),
              ("config_sha256", cfg_sha, int(str(header["config_sha256"])[:8], 16)),
              ("format", fmt, int(str(header["format"]), 16)))
    for field, target, file_value in checks:
        if target != file_value:
            raise LoadFileError(f"{where}: {field} {file_value:#x} of the load file != {target:#x} of the target")


class UhalClient:
    """Child process running uhal against ``ipbusudp-2.0://127.0.0.1:PORT``."""

    def __init__(self, port: int, table: str | Path, timeout_ms: int = 5000, python: str = sys.executable):
        self.uri = f"ipbusudp-2.0://127.0.0.1:{port}"
        self.table = Path(table).resolve()
        self.proc = subprocess.Popen([python, str(Path(__file__).resolve()), self.uri, str(self.table), str(timeout_ms)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     bufsize=1)
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, ops) -> None:
        self.proc.stdin.write(json.dumps(ops) + "\n")
        self.proc.stdin.flush()

    def _result(self, line):
        if line is None:
            raise UhalError(f"uhal client process ended: {self.proc.stderr.read()[-2000:]}")
        r = json.loads(line)
        if not r["ok"]:
            raise UhalError(r["error"])
        return r["values"]

    def call(self, ops, timeout: float = 60.0):
        """Blocking dispatch (outside a simulation, or from a thread)."""
        self.send(ops)
        return self._result(self._lines.get(timeout=timeout))

    async def acall(self, ops, clk, timeout_cycles: int = 10_000_000):
        """Dispatch from a cocotb coroutine: the simulation runs on while uhal waits."""
        from cocotb.triggers import RisingEdge

        self.send(ops)
        for _ in range(timeout_cycles):
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                await RisingEdge(clk)
                continue
            return self._result(line)
        raise UhalError("no reply from the uhal client process")

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------------ child process
def _serve(uri: str, table: str, timeout_ms: int) -> None:  # pragma: no cover - runs in the child
    import uhal

    uhal.setLogLevelTo(uhal.LogLevel.FATAL)
    hw = uhal.getDevice("dut", uri, "file://" + table)
    hw.setTimeoutPeriod(timeout_ms)
    for line in sys.stdin:
        ops = json.loads(line)
        try:
            pending = []
            for op in ops:
                kind = op[0]
                if kind == "read":
                    pending.append(hw.getNode(op[1]).read())
                elif kind == "write":
                    hw.getNode(op[1]).write(int(op[2]))
                    pending.append(None)
                elif kind == "readBlock":
                    pending.append(hw.getNode(op[1]).readBlock(int(op[2])))
                elif kind == "writeBlock":
                    hw.getNode(op[1]).writeBlock([int(v) for v in op[2]])
                    pending.append(None)
                elif kind == "rawRead":
                    pending.append(hw.getClient().read(int(op[1])))
                elif kind == "rawWrite":
                    hw.getClient().write(int(op[1]), int(op[2]))
                    pending.append(None)
                elif kind == "rawWriteBlock":
                    hw.getClient().writeBlock(int(op[1]), [int(v) for v in op[2]])
                    pending.append(None)
                elif kind == "rmw_bits":
                    pending.append(hw.getClient().rmw_bits(int(op[1]), int(op[2]), int(op[3])))
                elif kind == "rmw_sum":
                    pending.append(hw.getClient().rmw_sum(int(op[1]), int(op[2])))
                else:
                    raise ValueError(f"unknown operation {kind!r}")
            hw.dispatch()
            values = []
            for p in pending:
                if p is None:
                    values.append(None)
                else:
                    v = p.value()
                    values.append([int(x) for x in v] if isinstance(v, (list, tuple)) else int(v))
            out = {"ok": True, "values": values}
        except Exception as e:  # uhal's exceptions: report, keep serving
            out = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":  # pragma: no cover
    _serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
