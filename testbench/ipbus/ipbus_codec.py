"""IPbus 2.0 packet codec and transaction engine (the target side, as on a board).

Protocol: "IPbus: a flexible Ethernet-based control system for xTCA hardware",
protocol version 2.0 (ipbus.web.cern.ch, ``ipbus_protocol_v2_0.pdf``). Reference
implementation of the target side: ``DummyHardware`` of ``ipbus/ipbus-software``
(``uhal/tests``). Field layout, bit 31 on the left::

    packet header       | 0x2 (4) | rsvd 0 (4) | packet ID (16) | 0xF (4) | packet type (4) |
    transaction header  | 0x2 (4) | transaction ID (12) | words (8) | type ID (4) | info code (4) |

Packet types: 0 control, 1 status, 2 resend request. Transaction types: 0 read,
1 write, 2 non-incrementing read, 3 non-incrementing write, 4 RMW bits, 5 RMW sum
(6, configuration-space read, is answered with "bad header"). Info codes: 0x0 success,
0x1 bad header, 0x4 / 0x5 bus error on read / write, 0x6 / 0x7 bus timeout on read /
write, 0xF request.

Byte order: the byte-order qualifier 0xF in bits 7..4 of the packet header tells the
target the order of the 32-bit words on the wire; the reply uses the request's order.
uhal sends control packets in host order (little-endian here) and status and resend
requests in network order (big-endian); :func:`detect_byte_order` handles both.

A transaction becomes bus cycles through a *backend* with one method::

    transfer(cycles: list[Cycle]) -> list[tuple[str, int]]

which runs the cycles in order and returns one ``(status, rdata)`` per cycle run,
``status`` in {"ack", "err", "timeout"}; it stops after the first cycle that is not
acked. A bus error ends the transaction: the reply header carries the error info
code and, in its words field, the number of words transferred before the error (with
that many read words after it); the rest of the packet is not executed.
"""
from __future__ import annotations

from dataclasses import dataclass

PROTOCOL_VERSION = 2
BYTE_ORDER_QUALIFIER = 0xF

# packet types
CONTROL, STATUS, RESEND = 0, 1, 2
# transaction types
READ, WRITE, NI_READ, NI_WRITE, RMW_BITS, RMW_SUM, CONFIG_READ = range(7)
# info codes
INFO_OK = 0x0
INFO_BAD_HEADER = 0x1
INFO_BUS_ERR_READ = 0x4
INFO_BUS_ERR_WRITE = 0x5
INFO_BUS_TIMEOUT_READ = 0x6
INFO_BUS_TIMEOUT_WRITE = 0x7
INFO_REQUEST = 0xF

MASK32 = 0xFFFFFFFF


@dataclass(frozen=True)
class Cycle:
    """One bus cycle on the ``ipb_*`` port: word address, direction, write data."""

    addr: int
    write: bool
    wdata: int = 0


@dataclass(frozen=True)
class TransactionHeader:
    version: int
    tid: int
    words: int
    type_id: int
    info: int


@dataclass(frozen=True)
class PacketHeader:
    version: int
    pid: int
    boq: int
    ptype: int


def packet_header(pid: int, ptype: int) -> int:
    """32-bit packet header word for packet ID ``pid`` and packet type ``ptype``."""
    return (PROTOCOL_VERSION << 28) | ((pid & 0xFFFF) << 8) | (BYTE_ORDER_QUALIFIER << 4) | (ptype & 0xF)


def parse_packet_header(word: int) -> PacketHeader:
    return PacketHeader(version=(word >> 28) & 0xF, pid=(word >> 8) & 0xFFFF, boq=(word >> 4) & 0xF, ptype=word & 0xF)


def transaction_header(tid: int, words: int, type_id: int, info: int) -> int:
    """32-bit transaction header word."""
    return ((PROTOCOL_VERSION << 28) | ((tid & 0xFFF) << 16) | ((words & 0xFF) << 8)
            | ((type_id & 0xF) << 4) | (info & 0xF))


def parse_transaction_header(word: int) -> TransactionHeader:
    return TransactionHeader(version=(word >> 28) & 0xF, tid=(word >> 16) & 0xFFF, words=(word >> 8) & 0xFF,
                             type_id=(word >> 4) & 0xF, info=word & 0xF)


def detect_byte_order(data: bytes) -> str | None:
    """'big' or 'little' from the first word of a packet, or None if it is no IPbus 2.0 header."""
    if len(data) < 4:
        return None
    for order in ("big", "little"):
        h = parse_packet_header(int.from_bytes(data[:4], order))
        if h.version == PROTOCOL_VERSION and h.boq == BYTE_ORDER_QUALIFIER:
            return order
    return None


def to_words(data: bytes, order: str) -> list[int]:
    """32-bit words of ``data`` (length a multiple of 4) in byte order ``order``."""
    return [int.from_bytes(data[i:i + 4], order) for i in range(0, len(data) - len(data) % 4, 4)]


def to_bytes(words: list[int], order: str) -> bytes:
    return b"".join((w & MASK32).to_bytes(4, order) for w in words)


def _bus_info(status: str, write: bool) -> int:
    if status == "err":
        return INFO_BUS_ERR_WRITE if write else INFO_BUS_ERR_READ
    return INFO_BUS_TIMEOUT_WRITE if write else INFO_BUS_TIMEOUT_READ


def execute_control(payload: list[int], backend) -> list[int]:
    """Run the transactions of a control packet (the words after the packet header).

    Returns the reply words (transaction headers and read data, without the packet
    header). Stops at the first bad header, truncated transaction or bus error.
    """
    out: list[int] = []
    i, n = 0, len(payload)
    while i < n:
        h = parse_transaction_header(payload[i])
        if h.version != PROTOCOL_VERSION or h.info != INFO_REQUEST or h.type_id > RMW_SUM:
            out.append(transaction_header(h.tid, h.words, h.type_id, INFO_BAD_HEADER))
            break
        body = {READ: 1, NI_READ: 1, WRITE: 1 + h.words, NI_WRITE: 1 + h.words, RMW_BITS: 3, RMW_SUM: 2}[h.type_id]
        if i + 1 + body > n or (h.type_id in (RMW_BITS, RMW_SUM) and h.words != 1):
            out.append(transaction_header(h.tid, h.words, h.type_id, INFO_BAD_HEADER))
            break
        addr = payload[i + 1]
        args = payload[i + 2:i + 1 + body]
        i += 1 + body
        step = 0 if h.type_id in (NI_READ, NI_WRITE) else 1
        if h.type_id in (READ, NI_READ):
            res = backend.transfer([Cycle((addr + k * step) & MASK32, False) for k in range(h.words)])
            done = [d for s, d in res if s == "ack"]
            bad = len(done) < h.words
            info = _bus_info(res[-1][0], False) if bad else INFO_OK
            out.append(transaction_header(h.tid, len(done), h.type_id, info))
            out.extend(done)
        elif h.type_id in (WRITE, NI_WRITE):
            res = backend.transfer([Cycle((addr + k * step) & MASK32, True, w) for k, w in enumerate(args)])
            done = sum(1 for s, _ in res if s == "ack")
            bad = done < h.words
            info = _bus_info(res[-1][0], True) if bad else INFO_OK
            out.append(transaction_header(h.tid, done, h.type_id, info))
        else:  # RMW: read, modify, write; the reply carries the value before the change
            (s, old), = backend.transfer([Cycle(addr, False)])
            bad = s != "ack"
            if bad:
                out.append(transaction_header(h.tid, 0, h.type_id, _bus_info(s, False)))
            else:
                new = ((old & args[0]) | args[1]) if h.type_id == RMW_BITS else (old + args[0])
                (s, _), = backend.transfer([Cycle(addr, True, new & MASK32)])
                bad = s != "ack"
                if bad:
                    out.append(transaction_header(h.tid, 0, h.type_id, _bus_info(s, True)))
                else:
                    out.append(transaction_header(h.tid, 1, h.type_id, INFO_OK))
                    out.append(old)
        if bad:
            break
    return out


class MemoryBackend:
    """A plain word memory behind :func:`execute_control` (no simulator).

    ``size`` words at addresses 0..size-1; any other address answers err. Addresses
    in ``read_only`` answer err on write. For codec and endpoint tests.
    """

    def __init__(self, size: int = 64, read_only=()):
        self.mem = [0] * size
        self.read_only = set(read_only)
        self.log: list[Cycle] = []

    def transfer(self, cycles):
        res = []
        for c in cycles:
            self.log.append(c)
            if not 0 <= c.addr < len(self.mem) or (c.write and c.addr in self.read_only):
                res.append(("err", 0))
                break
            if c.write:
                self.mem[c.addr] = c.wdata & MASK32
                res.append(("ack", 0))
            else:
                res.append(("ack", self.mem[c.addr]))
        return res
