"""IPbus 2.0 codec and endpoint against hand-worked byte strings (no simulator, no uhal).

Every expected byte string below is worked out by hand from the field layout of the
IPbus 2.0 specification (``ipbus_protocol_v2_0.pdf``), never produced by the encoder:

    packet header       | 0x2 | 0x0 | packet ID (16) | 0xF | packet type |
    transaction header  | 0x2 | transaction ID (12) | words (8) | type ID | info code |

e.g. a control packet with ID 1 is 0x2 0 0001 F 0 = 0x200001F0, on the wire in network
order ``20 00 01 f0`` and in little-endian order ``f0 01 00 20``; a read request of
2 words with transaction ID 0x00A is 0x2 00A 02 0 F = 0x200A020F.
"""
from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ipbus_codec as ic  # noqa: E402
from ipbus_endpoint import Endpoint, next_pid  # noqa: E402


def hx(s: str) -> bytes:
    return bytes.fromhex(s.replace(" ", "").replace("|", ""))


def le(s: str) -> bytes:
    """The same words with each 4-byte group reversed (little-endian on the wire)."""
    b = hx(s)
    return b"".join(b[i:i + 4][::-1] for i in range(0, len(b), 4))


def mem_with(**words) -> ic.MemoryBackend:
    m = ic.MemoryBackend(64)
    for k, v in words.items():
        m.mem[int(k[1:])] = v
    return m


# ----------------------------------------------------------------- headers
def test_header_fields_by_hand():
    assert ic.packet_header(1, ic.CONTROL) == 0x200001F0
    assert ic.packet_header(0xABCD, ic.STATUS) == 0x20ABCDF1
    assert ic.packet_header(0x0102, ic.RESEND) == 0x200102F2
    assert ic.transaction_header(0x00A, 2, ic.READ, ic.INFO_REQUEST) == 0x200A020F
    assert ic.transaction_header(0xFFF, 255, ic.RMW_SUM, ic.INFO_BUS_ERR_WRITE) == 0x2FFFFF55
    h = ic.parse_transaction_header(0x2123044F)
    assert (h.version, h.tid, h.words, h.type_id, h.info) == (2, 0x123, 4, ic.RMW_BITS, 0xF)
    p = ic.parse_packet_header(0x2012_34F2)
    assert (p.version, p.pid, p.boq, p.ptype) == (2, 0x1234, 0xF, ic.RESEND)


def test_byte_order_detection():
    assert ic.detect_byte_order(hx("20 00 01 f0")) == "big"
    assert ic.detect_byte_order(hx("f0 01 00 20")) == "little"
    assert ic.detect_byte_order(hx("20 00 00 f1")) == "big"       # uhal's status request
    assert ic.detect_byte_order(hx("10 00 01 f0")) is None         # IPbus 1.3 version nibble
    assert ic.detect_byte_order(hx("20 00 01 e0")) is None         # no 0xF byte-order qualifier
    assert ic.detect_byte_order(hx("20 00")) is None


# ----------------------------------------------------------------- control packets
READ_REQ = "20 00 01 f0 | 20 0a 02 0f | 00 00 00 08"
READ_REPLY = "20 00 01 f0 | 20 0a 02 00 | 11 22 33 44 | aa bb cc dd"


@pytest.mark.parametrize("order", ["big", "little"])
def test_read_two_words(order):
    ep = Endpoint(mem_with(m8=0x11223344, m9=0xAABBCCDD))
    try:
        enc = hx if order == "big" else le
        assert ep.handle(enc(READ_REQ)) == enc(READ_REPLY)
    finally:
        ep.stop()


def test_write_then_read_back():
    m = mem_with()
    ep = Endpoint(m)
    try:
        # write 1 word (tid 1, type 1) 0xdeadbeef to 3, then read it (tid 2)
        req = "20 00 00 f0 | 20 01 01 1f | 00 00 00 03 | de ad be ef | 20 02 01 0f | 00 00 00 03"
        assert ep.handle(hx(req)) == hx("20 00 00 f0 | 20 01 01 10 | 20 02 01 00 | de ad be ef")
        assert m.mem[3] == 0xDEADBEEF
    finally:
        ep.stop()


def test_non_incrementing_read_and_write():
    m = mem_with(m5=7)
    ep = Endpoint(m)
    try:
        # NI write of 3 words to 5 (type 3): the last one stays; NI read of 3 words at 5 (type 2)
        req = ("20 00 00 f0 | 20 03 03 3f | 00 00 00 05 | 00 00 00 01 | 00 00 00 02 | 00 00 00 09"
               " | 20 04 03 2f | 00 00 00 05")
        rep = "20 00 00 f0 | 20 03 03 30 | 20 04 03 20 | 00 00 00 09 | 00 00 00 09 | 00 00 00 09"
        assert ep.handle(hx(req)) == hx(rep)
        assert [c.addr for c in m.log] == [5] * 6
    finally:
        ep.stop()


def test_rmw_bits_and_sum_return_the_value_before():
    m = mem_with(m6=0xAABBCCDD)
    ep = Endpoint(m)
    try:
        # RMW bits (type 4): X = (X & 0xffff0000) | 0x00001234; RMW sum (type 5): X = X + 1
        req = ("20 00 00 f0 | 20 05 01 4f | 00 00 00 06 | ff ff 00 00 | 00 00 12 34"
               " | 20 06 01 5f | 00 00 00 06 | 00 00 00 01")
        rep = "20 00 00 f0 | 20 05 01 40 | aa bb cc dd | 20 06 01 50 | aa bb 12 34"
        assert ep.handle(hx(req)) == hx(rep)
        assert m.mem[6] == 0xAABB1235
    finally:
        ep.stop()


def test_bus_error_on_read_stops_the_packet():
    m = mem_with()
    ep = Endpoint(m)
    try:
        # read at 0x40 (outside the 64-word memory) -> words 0, info 4; the write after it never runs
        req = "20 00 00 f0 | 20 02 01 0f | 00 00 00 40 | 20 03 01 1f | 00 00 00 01 | 00 00 00 05"
        assert ep.handle(hx(req)) == hx("20 00 00 f0 | 20 02 00 04")
        assert m.mem[1] == 0
    finally:
        ep.stop()


def test_bus_error_on_write_counts_the_words_written():
    m = mem_with()
    ep = Endpoint(m)
    try:
        # 2-word write at 0x3f: 0x3f is written, 0x40 answers err -> words 1, info 5
        req = "20 00 00 f0 | 20 03 02 1f | 00 00 00 3f | 00 00 00 01 | 00 00 00 02"
        assert ep.handle(hx(req)) == hx("20 00 00 f0 | 20 03 01 15")
        assert m.mem[63] == 1
        # 3-word read at 0x3e: two words come back before the err -> words 2, info 4
        m.mem[62] = 0x0A0B0C0D
        req = "20 00 00 f0 | 20 04 03 0f | 00 00 00 3e"
        assert ep.handle(hx(req)) == hx("20 00 00 f0 | 20 04 02 04 | 0a 0b 0c 0d | 00 00 00 01")
    finally:
        ep.stop()


class _Silent(ic.MemoryBackend):
    def transfer(self, cycles):
        return [("timeout", 0)]


def test_bus_timeout_info_codes():
    ep = Endpoint(_Silent())
    try:
        assert ep.handle(hx("20 00 00 f0 | 20 01 01 0f | 00 00 00 00")) == hx("20 00 00 f0 | 20 01 00 06")
        assert ep.handle(hx("20 00 00 f0 | 20 01 01 1f | 00 00 00 00 | 00 00 00 00")) == hx("20 00 00 f0 | 20 01 00 17")
    finally:
        ep.stop()


def test_bad_headers():
    ep = Endpoint(mem_with())
    try:
        # transaction version 1 -> info 1 (bad header), nothing after it runs
        assert ep.handle(hx("20 00 00 f0 | 10 07 01 0f | 00 00 00 00")) == hx("20 00 00 f0 | 20 07 01 01")
        # info code 0 in a request (not 0xF) -> bad header
        assert ep.handle(hx("20 00 00 f0 | 20 07 01 00 | 00 00 00 00")) == hx("20 00 00 f0 | 20 07 01 01")
        # configuration-space read (type 6) is not served
        assert ep.handle(hx("20 00 00 f0 | 20 08 01 6f | 00 00 00 00")) == hx("20 00 00 f0 | 20 08 01 61")
        # a write whose data words are missing
        assert ep.handle(hx("20 00 00 f0 | 20 09 02 1f | 00 00 00 00 | 00 00 00 01")) == hx("20 00 00 f0 | 20 09 02 11")
        # not an IPbus 2.0 packet, or not whole words: dropped
        assert ep.handle(hx("10 00 00 f0 | 20 00 01 0f | 00 00 00 00")) is None
        assert ep.handle(hx("20 00 00 f0 | 20")) is None
    finally:
        ep.stop()


# ----------------------------------------------------------------- reliability
def test_packet_ids_status_and_resend():
    assert next_pid(1) == 2 and next_pid(0xFFFE) == 0xFFFF and next_pid(0xFFFF) == 1
    ep = Endpoint(mem_with(m8=0x11223344, m9=0xAABBCCDD))
    try:
        status_req = "20 00 00 f1" + " 00 00 00 00" * 15
        fresh = ("20 00 00 f1 | 00 00 05 dc | 00 00 00 10 | 20 00 01 f0"      # MTU 1500, 16 buffers, expect ID 1
                 + " | 00 00 00 00" * 12)
        assert ep.handle(hx(status_req)) == hx(fresh)
        assert ep.handle(hx(READ_REQ)) == hx(READ_REPLY)                       # ID 1 accepted
        assert ep.handle(hx(READ_REQ)) is None                                 # ID 1 again: dropped
        assert ep.handle(hx("20 00 03 f0 | 20 0a 01 0f | 00 00 00 08")) is None  # ID 3 (2 expected): dropped
        # status: next expected ID 2; traffic (oldest first) status, control, dropped, dropped;
        # last received and sent control packet headers 0x200001f0
        after = ("20 00 00 f1 | 00 00 05 dc | 00 00 00 10 | 20 00 02 f0"
                 " | 00 00 00 00 | 00 00 00 00 | 00 00 00 00 | 03 02 05 05"
                 " | 00 00 00 00 | 00 00 00 00 | 00 00 00 00 | 20 00 01 f0"
                 " | 00 00 00 00 | 00 00 00 00 | 00 00 00 00 | 20 00 01 f0")
        assert ep.handle(hx(status_req)) == hx(after)
        # resend of packet 1 (big-endian request, the stored reply as it was sent)
        assert ep.handle(hx("20 00 01 f2")) == hx(READ_REPLY)
        assert ep.handle(hx("20 00 07 f2")) is None                           # never sent: nothing
        # ID 2 goes on; ID 0 needs no order
        assert ep.handle(hx("20 00 02 f0 | 20 0b 01 0f | 00 00 00 09")) == hx("20 00 02 f0 | 20 0b 01 00 | aa bb cc dd")
        assert ep.handle(hx("20 00 00 f0 | 20 0c 01 0f | 00 00 00 09")) == hx("20 00 00 f0 | 20 0c 01 00 | aa bb cc dd")
    finally:
        ep.stop()


def test_udp_socket_round_trip():
    """The same status request through a real UDP socket on 127.0.0.1."""
    with Endpoint(mem_with(m8=0x11223344, m9=0xAABBCCDD)) as ep:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        try:
            s.sendto(le(READ_REQ), ("127.0.0.1", ep.port))
            assert s.recv(2048) == le(READ_REPLY)
            s.sendto(hx("20 00 00 f1" + " 00 00 00 00" * 15), ("127.0.0.1", ep.port))
            assert s.recv(2048)[:16] == hx("20 00 00 f1 | 00 00 05 dc | 00 00 00 10 | 20 00 02 f0")
        finally:
            s.close()
        assert ep.stats == {"control": 1, "status": 1, "resend": 0, "dropped": 0}
