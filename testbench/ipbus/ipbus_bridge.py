"""cocotb bridge: endpoint transactions -> bus cycles on the simulated ``ipb_*`` port.

The UDP endpoint (``ipbus_endpoint.Endpoint``) runs in a thread of the simulator's
Python process and calls :meth:`CocotbBridge.transfer`, which puts the cycles on a
queue and waits. A cocotb coroutine (:meth:`CocotbBridge.serve`) takes them off the
queue at ``ipb_clk`` edges, drives each one as an ipbus-firmware master does and
returns ``(status, rdata)`` per cycle: "ack", "err", or "timeout" when the slave
gives neither within ``timeout_cycles``.

Master timing (ipbus-firmware): addr, write, wdata and strobe are driven after an edge
and held; ack / err are sampled when the cycle has settled (so a slave may answer in
the same cycle or later); the access takes place at the next edge, after which
strobe goes low for one full cycle.
"""
from __future__ import annotations

import concurrent.futures
import queue
import sys
from pathlib import Path

import cocotb
from cocotb.triggers import RisingEdge

from ipbus_codec import Cycle

if str(Path(__file__).resolve().parents[1]) not in sys.path:   # testbench/: the shared master
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ipbus_master import ipb_cycle  # noqa: E402


class CocotbBridge:
    """Backend of :func:`ipbus_codec.execute_control` for a design with an ``ipb_*`` port.

    ``idle_wait`` (seconds) is how long a poll of an empty queue blocks the simulator
    (releasing the interpreter lock for the endpoint and client threads); 0 spins.
    """

    def __init__(self, dut, timeout_cycles: int = 64, reply_timeout: float = 60.0, idle_wait: float = 2e-4,
                 now=None):
        self.dut = dut
        #: ``now()`` -> a time stamp (e.g. the algorithm clock's cycle count); per bus cycle,
        #: (stamp when strobe rose, stamp when ack / err was seen) in :attr:`times`
        self.now = now or (lambda: 0)
        self.times: list[tuple[int, int]] = []
        self.clk = dut.ipb_clk
        self.timeout_cycles = timeout_cycles
        self.reply_timeout = reply_timeout
        self.idle_wait = idle_wait
        self.log: list[tuple[Cycle, str, int]] = []
        self._q: queue.Queue = queue.Queue()
        dut.ipb_strobe.value = 0
        dut.ipb_write.value = 0
        dut.ipb_addr.value = 0
        dut.ipb_wdata.value = 0

    # ---------------------------------------------------------- endpoint thread
    def transfer(self, cycles):
        """Run ``cycles`` on the simulated bus (called from the endpoint thread)."""
        fut: concurrent.futures.Future = concurrent.futures.Future()
        self._q.put((list(cycles), fut))
        return fut.result(timeout=self.reply_timeout)

    # ---------------------------------------------------------- cocotb side
    def start(self):
        return cocotb.start_soon(self.serve())

    async def serve(self):
        """Forever: take queued transfers and run them on the bus."""
        while True:
            await RisingEdge(self.clk)
            try:
                cycles, fut = self._q.get(timeout=self.idle_wait) if self.idle_wait else self._q.get_nowait()
            except queue.Empty:
                continue
            try:
                res = []
                for c in cycles:
                    res.append(await self.cycle(c))
                    if res[-1][0] != "ack":
                        break
                fut.set_result(res)
            except BaseException as e:  # pragma: no cover - surfaces in the endpoint's errors
                fut.set_exception(e)
                raise

    async def cycle(self, c: Cycle) -> tuple[str, int]:
        """One bus cycle (``ipbus_master.ipb_cycle``); call right after an ``ipb_clk`` edge.
        Ends after the edge that follows the strobe-low cycle."""
        a = await ipb_cycle(self.dut, c.addr, c.wdata if c.write else None, timeout=self.timeout_cycles,
                            now=self.now)
        rdata = a.rdata if (a.ok and not c.write) else 0
        t1 = a.t0 if a.t1 is None else a.t1
        self.log.append((c, a.status, rdata))
        self.times.append((a.t0, t1))
        return a.status, rdata
