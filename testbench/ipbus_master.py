"""IPbus master for the cocotb testbenches: one bus cycle on a design's ``ipb_*`` port.

Every testbench that drives an IPbus slave (``l1ot_regbank``, ``l1ot_kernel_cm_ipb``,
``l1ot_refmem`` / ``l1ot_kernel_rl_ipb`` and the uhal bridge of ``testbench/ipbus``) runs
its cycles through :func:`ipb_cycle`, as an ipbus-firmware master drives them
(docs/firmware.md, IPbus contract):

* called right after a rising edge of ``ipb_clk``: addr, write, wdata and strobe are
  driven and held until the slave answers;
* ack / err are sampled when each cycle has settled (``ReadOnly``), so a slave may
  answer in the same cycle or later; read data is taken while ack is high;
* the access takes place at the next edge, after which strobe (and write) go low for
  one full cycle; at that edge the answer must have ended (exactly one cycle of ack or
  err: ``one_cycle``).
"""
from __future__ import annotations

from dataclasses import dataclass

from cocotb.triggers import ReadOnly, RisingEdge

MASK32 = 0xFFFFFFFF


@dataclass
class IpbAnswer:
    """Answer to one bus cycle: ``status`` "ack", "err" or "timeout"; ``rdata`` as seen
    with the answer (0 on timeout); ``t0``, ``t1`` the caller's time stamps (``now()``)
    when strobe rose and when the answer was seen; ``both``: ack and err together;
    ``one_cycle``: the answer had ended one cycle later."""

    status: str
    rdata: int
    t0: object
    t1: object
    both: bool = False
    one_cycle: bool = True

    @property
    def ok(self) -> bool:
        return self.status == "ack"


async def ipb_cycle(dut, addr: int, wdata: int | None = None, timeout: int = 200, now=None) -> IpbAnswer:
    """One bus cycle on ``dut.ipb_*`` (a write when ``wdata`` is given); call right after a
    rising edge of ``dut.ipb_clk``. Returns after the edge that ends the strobe-low cycle,
    with ``status`` "timeout" when neither ack nor err came within ``timeout`` cycles."""
    now = now or (lambda: 0)
    clk = dut.ipb_clk
    dut.ipb_addr.value = addr & MASK32
    dut.ipb_write.value = int(wdata is not None)
    dut.ipb_wdata.value = 0 if wdata is None else wdata & MASK32
    dut.ipb_strobe.value = 1
    ans = IpbAnswer("timeout", 0, now(), None)
    for _ in range(timeout):
        await ReadOnly()
        ack, err = int(dut.ipb_ack.value), int(dut.ipb_err.value)
        if ack or err:
            ans.status, ans.both = ("ack" if ack else "err"), bool(ack and err)
            ans.rdata, ans.t1 = int(dut.ipb_rdata.value), now()
            await RisingEdge(clk)                  # the access happens at this edge
            dut.ipb_strobe.value = 0
            dut.ipb_write.value = 0
            await ReadOnly()
            ans.one_cycle = not (int(dut.ipb_ack.value) or int(dut.ipb_err.value))
            await RisingEdge(clk)                  # one full cycle with strobe low
            return ans
        await RisingEdge(clk)
    dut.ipb_strobe.value = 0
    dut.ipb_write.value = 0
    await RisingEdge(clk)
    return ans
