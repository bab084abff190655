"""IPbus 2.0-over-UDP endpoint on 127.0.0.1: the board side that uhal talks to.

A UDP server thread receives packets, answers status and resend requests itself and
hands control packets to :func:`ipbus_codec.execute_control`, which turns each
transaction into bus cycles on a backend (``MemoryBackend``, or the cocotb bridge of
``ipbus_bridge`` that drives the simulated design's ``ipb_*`` port).

Reliability (IPbus 2.0 over UDP): a control packet with packet ID 0 stands alone.
A non-zero ID must be the next expected one (after 0xFFFF comes 1); any other is
dropped without reply, and its reply is kept (last ``n_buffers``) for a resend
request. A status request (16 words) is answered with 16 words: header, MTU in
bytes, number of reply buffers, the next expected control packet header, 16 bytes
of incoming traffic history (oldest in the top byte of word 4), the last 4 received
and the last 4 sent control packet headers.

Traffic-history codes (as uhal's DummyHardware): 2 control packet, 3 status request,
4 resend request, 5 dropped packet.

Usage::

    with Endpoint(backend) as ep:
        hw = uhal.getDevice("dev", f"ipbusudp-2.0://127.0.0.1:{ep.port}", "file://table.xml")
"""
from __future__ import annotations

import socket
import threading
from collections import deque

import ipbus_codec as ic

TRAFFIC_CONTROL, TRAFFIC_STATUS, TRAFFIC_RESEND, TRAFFIC_DROPPED = 2, 3, 4, 5


def next_pid(pid: int) -> int:
    """The packet ID after ``pid`` (16 bits, 0 is skipped: it marks unreliable packets)."""
    return 1 if pid >= 0xFFFF else pid + 1


class Endpoint:
    """IPbus 2.0 UDP target on ``host`` and a free port (``.port`` once started)."""

    def __init__(self, backend, host: str = "127.0.0.1", port: int = 0, mtu: int = 1500, n_buffers: int = 16):
        self.backend = backend
        self.host = host
        self.mtu = mtu
        self.n_buffers = n_buffers
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.expected_pid = 1
        self.history: deque[tuple[int, bytes]] = deque(maxlen=n_buffers)
        self.traffic = deque([0] * 16, maxlen=16)
        self.rx_headers = deque([0] * 4, maxlen=4)
        self.tx_headers = deque([0] * 4, maxlen=4)
        self.stats = {"control": 0, "status": 0, "resend": 0, "dropped": 0}
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"ipbus-endpoint-{self.port}", daemon=True)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Endpoint":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ server
    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            try:
                reply = self.handle(data)
            except Exception as e:  # keep serving; the test reads .errors
                self.errors.append(e)
                continue
            if reply is not None:
                self.sock.sendto(reply, peer)

    def _drop(self) -> None:
        self.stats["dropped"] += 1
        self.traffic.append(TRAFFIC_DROPPED)

    def handle(self, data: bytes) -> bytes | None:
        """Reply bytes for one received datagram, or None (dropped)."""
        order = ic.detect_byte_order(data)
        if order is None or len(data) % 4:
            self._drop()
            return None
        words = ic.to_words(data, order)
        h = ic.parse_packet_header(words[0])
        if h.ptype == ic.STATUS:
            self.stats["status"] += 1
            reply = ic.to_bytes(self.status_words(), order)
            self.traffic.append(TRAFFIC_STATUS)
            return reply
        if h.ptype == ic.RESEND:
            for pid, reply in reversed(self.history):
                if pid == h.pid:
                    self.stats["resend"] += 1
                    self.traffic.append(TRAFFIC_RESEND)
                    return reply
            self._drop()
            return None
        if h.ptype != ic.CONTROL:
            self._drop()
            return None
        if h.pid != 0:
            if h.pid != self.expected_pid:
                self._drop()
                return None
            self.expected_pid = next_pid(h.pid)
        self.stats["control"] += 1
        self.traffic.append(TRAFFIC_CONTROL)
        self.rx_headers.append(words[0])
        self.tx_headers.append(words[0])
        reply = ic.to_bytes([words[0]] + ic.execute_control(words[1:], self.backend), order)
        if h.pid != 0:
            self.history.append((h.pid, reply))
        return reply

    def status_words(self) -> list[int]:
        """The 16-word status reply (see the module docstring)."""
        t = list(self.traffic)
        hist = [int.from_bytes(bytes(t[4 * j:4 * j + 4]), "big") for j in range(4)]
        return ([ic.packet_header(0, ic.STATUS), self.mtu, self.n_buffers,
                 ic.packet_header(self.expected_pid, ic.CONTROL)]
                + hist + list(self.rx_headers) + list(self.tx_headers))
