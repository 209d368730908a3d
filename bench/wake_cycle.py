#!/usr/bin/env python3
"""The wake-cycle benchmark (issue 6): what one wake from deep sleep costs a device that sends one
reading at QoS 1, for plaintext MQTT, mosquitto_pub over TLS 1.2 (the anchor: a full handshake per
wake) and mqtls (full handshake with RSA-2048 and ECDSA P-256, resumed, resumed + one flight, with
and without a client certificate), in one run against one Mosquitto this script starts on free
loopback ports.

Every measured client connects through mqtls_delay_proxy (one-way delay 0, or --delay-ms), and
for each case this measures, in order:
  - one run at delay 0 under tcpdump: bytes, TCP payload bytes and segments each way;
  - one run at delay 0 under callgrind: the client's instructions (for mqtls also a second run
    that counts only mqtls::cli::deliver_wake_cycle, the connection itself);
  - N runs at delay 0: wall time (spawn to exit) and CPU time (user + sys, from wait4);
  - N runs at --delay-ms: wall time; round trips = (wall at delay - wall at 0) / (2 x delay),
    plus one for the TCP handshake, which a userspace proxy cannot delay.
and writes wake-cycle.json, wake-cycle.md and wake-cycle.svg into --out-dir.

Normally started by bench/wake_cycle.sh, which installs the tools and builds the binaries.
Python 3 standard library only. Exit status: 0 every case measured, 1 some case failed (each
failure is reported with its command, exit status and stderr), 2 bad arguments, 3 the
environment is not usable (a tool is missing, the broker did not start).
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import datetime
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONNECTION_FUNCTION = "mqtls::node::run_wake_cycle"
WORK_MARKER = ".wake-cycle-work"
# The TCP handshake costs a round trip on a real link, but the proxy cannot delay it (the kernel
# completes it before the proxy accepts), so the wall-time difference misses exactly that one.
TCP_HANDSHAKE_ROUND_TRIPS = 1
# Device ids (and so topics and client ids) all have the same length, so that every case sends
# a reading of the same size: 12 characters make the node's reading 112 bytes.
DEVICE_PREFIX = "bench-wake"
# Used for the mosquitto_pub cases when no real reading could be captured (the node failed):
# the node's reading format, 112 bytes.
FALLBACK_PAYLOAD = ('{"device":"bench-wake00","seq":1,"ts":1764036000000,"temperature_c":21.50,'
                    '"humidity_pct":45.0,"battery_mv":3700}')
OPENSSL_TLS12_CONF = """# bench/wake_cycle.py: pins OpenSSL clients (mosquitto_pub) to TLS 1.2;
# mosquitto_pub --tls-version tlsv1.2 only sets a minimum.
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1.2
MaxProtocol = TLSv1.2
"""


class BenchError(Exception):
    """A measurement failed; the message says which command and why."""


class EnvironmentProblem(Exception):
    """The benchmark cannot run here at all (exit 3)."""


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    label: str
    client: str           # "mqtls" | "mosquitto_pub"
    transport: str        # "tls" | "plaintext"
    handshake: str        # "none" | "full" | "resumed"
    server_key: str       # "none" | "ecdsa-p256" | "rsa-2048"
    ca_key: str
    client_cert: bool
    one_flight: bool
    listener: str         # "plain" | "ecdsa" | "rsa" | "ecdsa-clientcert"
    number: int           # device id suffix
    resumption: str = "session-id"  # mqtls --resumption: "session-id" (default) | "ticket"
    tls_version: str = "1.2"        # "1.2" | "1.3" (mqtls --tls-version; mosquitto_pub's too)

    @property
    def device(self) -> str:
        return f"{DEVICE_PREFIX}{self.number:02d}"


CASES: List[Case] = [
    Case("plaintext-mosquitto_pub", "mosquitto_pub, plain MQTT (bench-only listener; reference)",
         "mosquitto_pub", "plaintext", "none", "none", "none", False, False, "plain", 1),
    Case("mosquitto_pub-tls-full", "mosquitto_pub, TLS 1.2 full handshake, ECDSA P-256 (anchor)",
         "mosquitto_pub", "tls", "full", "ecdsa-p256", "ecdsa-p256", False, False, "ecdsa", 2),
    Case("mqtls-full-rsa", "mqtls, full handshake, RSA-2048",
         "mqtls", "tls", "full", "rsa-2048", "rsa-2048", False, False, "rsa", 3),
    Case("mqtls-full-ecdsa", "mqtls, full handshake, ECDSA P-256",
         "mqtls", "tls", "full", "ecdsa-p256", "ecdsa-p256", False, False, "ecdsa", 4),
    Case("mqtls-full-ecdsa-clientcert", "mqtls, full handshake, ECDSA P-256, client certificate",
         "mqtls", "tls", "full", "ecdsa-p256", "ecdsa-p256", True, False, "ecdsa-clientcert", 5),
    Case("mqtls-resumed", "mqtls, resumed session",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", False, False, "ecdsa", 6),
    Case("mqtls-resumed-oneflight", "mqtls, resumed session, one flight",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", False, True, "ecdsa", 7),
    Case("mqtls-resumed-clientcert", "mqtls, resumed session, client certificate",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", True, False, "ecdsa-clientcert", 8),
    Case("mqtls-resumed-oneflight-clientcert",
         "mqtls, resumed session, one flight, client certificate",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", True, True, "ecdsa-clientcert", 9),
    Case("mqtls-resumed-oneflight-ticket",
         "mqtls, resumed by session ticket (--resumption ticket), one flight",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", False, True, "ecdsa", 10,
         "ticket"),
    Case("mqtls-resumed-oneflight-clientcert-ticket",
         "mqtls, resumed by session ticket (--resumption ticket), one flight, client certificate",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", True, True, "ecdsa-clientcert", 11,
         "ticket"),
    # TLS 1.3 (issue 14): resumption is PSK + ECDHE from the broker's NewSessionTicket.
    Case("mosquitto_pub-tls13-full",
         "mosquitto_pub, TLS 1.3 full handshake, ECDSA P-256 (TLS 1.3 anchor)",
         "mosquitto_pub", "tls", "full", "ecdsa-p256", "ecdsa-p256", False, False, "ecdsa", 12,
         tls_version="1.3"),
    Case("mqtls-tls13-full-ecdsa", "mqtls, TLS 1.3 full handshake, ECDSA P-256",
         "mqtls", "tls", "full", "ecdsa-p256", "ecdsa-p256", False, False, "ecdsa", 13,
         tls_version="1.3"),
    Case("mqtls-tls13-full-ecdsa-clientcert",
         "mqtls, TLS 1.3 full handshake, ECDSA P-256, client certificate",
         "mqtls", "tls", "full", "ecdsa-p256", "ecdsa-p256", True, False, "ecdsa-clientcert", 14,
         tls_version="1.3"),
    Case("mqtls-tls13-resumed", "mqtls, TLS 1.3 resumed (PSK + ECDHE)",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", False, False, "ecdsa", 15,
         tls_version="1.3"),
    Case("mqtls-tls13-resumed-oneflight", "mqtls, TLS 1.3 resumed (PSK + ECDHE), one flight",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", False, True, "ecdsa", 16,
         tls_version="1.3"),
    Case("mqtls-tls13-resumed-oneflight-clientcert",
         "mqtls, TLS 1.3 resumed (PSK + ECDHE), one flight, client certificate",
         "mqtls", "tls", "resumed", "ecdsa-p256", "ecdsa-p256", True, True, "ecdsa-clientcert", 17,
         tls_version="1.3"),
]
ANCHOR = "mosquitto_pub-tls-full"
PLAINTEXT = "plaintext-mosquitto_pub"
OWN_FULL = "mqtls-full-ecdsa"
TARGET = "mqtls-resumed-oneflight"
TARGET_CLIENTCERT = "mqtls-resumed-oneflight-clientcert"
TARGET_TICKET = "mqtls-resumed-oneflight-ticket"
TARGET_CLIENTCERT_TICKET = "mqtls-resumed-oneflight-clientcert-ticket"

_START = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _START:7.1f}s] {message}", flush=True)


def tail(path: str, lines: int = 12) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 8192))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return "(no output file)"
    kept = text.splitlines()[-lines:]
    return "\n".join("    " + line for line in kept) if kept else "    (empty)"


def shell_quote(argv: Sequence[str]) -> str:
    return " ".join(a if re.fullmatch(r"[\w@%+=:,./-]+", a) else "'" + a.replace("'", "'\\''") + "'"
                    for a in argv)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """preexec_fn of long-lived children: SIGTERM when this script dies, even by SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort; the try/finally cleanup is the main path
        pass


# --------------------------------------------------------------------------------------------
# Running the measured client: spawn to exit, with rusage, bounded.
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class RunResult:
    argv: List[str]
    status: int            # exit status, or -signal
    timed_out: bool
    wall_ms: float
    cpu_ms: float
    stdout: str            # path
    stderr: str            # path

    def describe(self) -> str:
        why = "timed out and was killed" if self.timed_out else (
            f"exit status {self.status}" if self.status >= 0
            else f"killed by signal {-self.status}")
        return (f"command: {shell_quote(self.argv)}\n  {why}\n  stderr (tail):\n"
                f"{tail(self.stderr)}")


def run_measured(argv: List[str], env: Dict[str, str], stdout: str, stderr: str,
                 timeout_s: float) -> RunResult:
    """Spawns argv (stdin /dev/null, output to files) and waits for it, at most timeout_s."""
    executable = argv[0] if "/" in argv[0] else (shutil.which(argv[0]) or argv[0])
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, stdout, flags, 0o644),
               (os.POSIX_SPAWN_OPEN, 2, stderr, flags, 0o644)]
    start = time.perf_counter()
    pid = os.posix_spawn(executable, argv, env, file_actions=actions)
    reaped = False
    timed_out = False
    try:
        deadline = start + timeout_s
        pidfd = None
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        if pidfd is not None:
            try:
                ready, _, _ = select.select([pidfd], [], [], timeout_s)
            finally:
                os.close(pidfd)
            if not ready:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
        else:  # no pidfd: poll (adds up to 1 ms to the wall time)
            while True:
                got, status, usage = os.wait4(pid, os.WNOHANG)
                if got == pid:
                    break
                if time.perf_counter() > deadline:
                    timed_out = True
                    os.kill(pid, signal.SIGKILL)
                    _, status, usage = os.wait4(pid, 0)
                    break
                time.sleep(0.001)
        end = time.perf_counter()
        reaped = True
    finally:
        if not reaped:  # interrupted (Ctrl-C): never leave the client behind
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
    code = os.waitstatus_to_exitcode(status)
    return RunResult(argv, code, timed_out, (end - start) * 1000.0,
                     (usage.ru_utime + usage.ru_stime) * 1000.0, stdout, stderr)


# --------------------------------------------------------------------------------------------
# Long-lived helpers: broker, proxies, tcpdump, mosquitto_sub. All stopped by PID.
# --------------------------------------------------------------------------------------------

class Children:
    """Every long-lived process this script starts, stopped in reverse order by PID."""

    def __init__(self) -> None:
        self._procs: List[Tuple[str, subprocess.Popen, int]] = []

    def start(self, name: str, argv: List[str], stop_signal: int = signal.SIGTERM,
              **kwargs: Any) -> subprocess.Popen:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
                                **kwargs)
        self._procs.append((name, proc, stop_signal))
        return proc

    def stop(self, proc: subprocess.Popen, timeout_s: float = 5.0) -> Optional[int]:
        """Stops one child (its stop signal, then SIGKILL); returns its exit status."""
        for i, (_, p, sig) in enumerate(self._procs):
            if p is proc:
                del self._procs[i]
                return self._stop(p, sig, timeout_s)
        return proc.poll()

    @staticmethod
    def _stop(proc: subprocess.Popen, sig: int, timeout_s: float) -> Optional[int]:
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                try:
                    proc.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    pass
            except OSError:
                pass
        return proc.returncode

    def stop_all(self) -> None:
        while self._procs:
            name, proc, sig = self._procs.pop()
            status = self._stop(proc, sig, 5.0)
            if status is None:
                print(f"warning: {name} (pid {proc.pid}) did not stop", file=sys.stderr)


def wait_for_file_text(path: str, needle: str, timeout_s: float,
                       alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open(path, "r", errors="replace") as f:
                if needle in f.read():
                    return True
        except OSError:
            pass
        if not alive():
            return False
        time.sleep(0.01)
    return False


# --------------------------------------------------------------------------------------------
# pcap: bytes, segments, flights, and what the TLS handshake was.
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Segment:
    time: float
    up: bool               # client -> proxy
    ip_length: int         # IP total length (IPv6: 40 + payload length)
    payload: bytes
    flags: int
    seq: int


PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10


def _ip_packet(linktype: int, frame: bytes, endian: str) -> Optional[bytes]:
    if linktype == 1:            # EN10MB
        if len(frame) < 14:
            return None
        ethertype, offset = struct.unpack(">H", frame[12:14])[0], 14
        while ethertype in (0x8100, 0x88A8) and len(frame) >= offset + 4:  # VLAN tags
            ethertype = struct.unpack(">H", frame[offset + 2:offset + 4])[0]
            offset += 4
        return frame[offset:] if ethertype in (0x0800, 0x86DD) else None
    if linktype == 113:          # LINUX_SLL
        ok = len(frame) >= 16 and frame[14:16] in (b"\x08\x00", b"\x86\xdd")
        return frame[16:] if ok else None
    if linktype == 276:          # LINUX_SLL2
        return frame[20:] if len(frame) >= 20 and frame[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype in (101, 12, 14):  # raw IP
        return frame
    if linktype == 0:            # BSD loopback: 4-byte address family in host order
        return frame[4:]
    raise BenchError(f"pcap link type {linktype} is not supported")


def read_connection(path: str, proxy_port: int) -> Tuple[List[Segment], int]:
    """The segments of the first TCP connection to proxy_port in the capture (from its SYN on),
    and how many other TCP packets to that port were seen (other connections, e.g. over ::1)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:4] not in PCAP_MAGIC:
        raise BenchError(f"{path}: not a pcap file (tcpdump captured nothing?)")
    endian, scale = PCAP_MAGIC[data[:4]]
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    offset = 24
    connection: Optional[Tuple[bytes, int]] = None   # (client address, client port)
    segments: List[Segment] = []
    others = 0
    while offset + 16 <= len(data):
        seconds, fraction, captured, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + captured]
        offset += 16 + captured
        packet = _ip_packet(linktype, frame, endian)
        if not packet:
            continue
        version = packet[0] >> 4
        if version == 4:
            header = (packet[0] & 0x0F) * 4
            ip_length = struct.unpack(">H", packet[2:4])[0]
            if packet[9] != 6:
                continue
            source, destination = packet[12:16], packet[16:20]
        elif version == 6:
            header = 40
            ip_length = 40 + struct.unpack(">H", packet[4:6])[0]
            if packet[6] != 6:
                continue
            source, destination = packet[8:24], packet[24:40]
        else:
            continue
        tcp = packet[header:]
        if len(tcp) < 20:
            continue
        sport, dport, seq = struct.unpack(">HHI", tcp[0:8])
        data_offset = (tcp[12] >> 4) * 4
        flags = tcp[13]
        payload_length = ip_length - header - data_offset
        payload = tcp[data_offset:data_offset + payload_length]
        if dport == proxy_port:
            key, up = (source, sport), True
        elif sport == proxy_port:
            key, up = (destination, dport), False
        else:
            continue
        if connection is None and up and flags & TCP_SYN and not flags & TCP_ACK:
            connection = key
        if connection is None or key != connection:
            others += 1
            continue
        segments.append(Segment(seconds + fraction * scale, up, ip_length,
                                payload if len(payload) == payload_length
                                else payload + b"\0" * (payload_length - len(payload)),
                                flags, seq))
    if not segments:
        raise BenchError(f"{path}: no TCP connection to port {proxy_port} was captured")
    return segments, others


def stream(segments: List[Segment], up: bool) -> bytes:
    """The bytes of one direction in order (retransmissions dropped)."""
    out = bytearray()
    next_seq: Optional[int] = None
    for s in segments:
        if s.up != up:
            continue
        if s.flags & TCP_SYN:
            next_seq = (s.seq + 1) & 0xFFFFFFFF
            continue
        if not s.payload:
            continue
        if next_seq is not None:
            skip = (next_seq - s.seq) & 0xFFFFFFFF
            if skip >= len(s.payload) and skip < 0x80000000:
                continue  # a retransmission of bytes we have
            if skip < 0x80000000:
                out += s.payload[skip:]
            else:
                out += s.payload
            next_seq = (s.seq + len(s.payload)) & 0xFFFFFFFF
        else:
            out += s.payload
    return bytes(out)


def only_tls_alerts(payload: bytes) -> bool:
    """True if the segment holds whole TLS alert records only (close_notify at the end)."""
    offset = 0
    while offset + 5 <= len(payload):
        if payload[offset] != 21 or payload[offset + 1] != 3:
            return False
        offset += 5 + struct.unpack(">H", payload[offset + 3:offset + 5])[0]
    return offset == len(payload) and offset > 0


def waiting_flights(segments: List[Segment], tls: bool) -> int:
    """Client flights that waited for the server: runs of client segments (SYN or data) that the
    server answered (SYN-ACK or data) before the client sent again. A last client flight with no
    client data after the answer (DISCONNECT) did not wait, and is not counted; TLS alerts
    (close_notify, which both sides send as they close, in either order) are ignored."""
    runs: List[bool] = []
    for s in segments:
        if s.flags & TCP_RST or (tls and s.payload and only_tls_alerts(s.payload)):
            continue
        if s.payload or s.flags & TCP_SYN:
            if not runs or runs[-1] != s.up:
                runs.append(s.up)
    return sum(1 for i in range(len(runs) - 2) if runs[i] and not runs[i + 1] and runs[i + 2])


TLS_VERSIONS = {0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}
HANDSHAKE_NAMES = {1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 11: "Certificate",
                   12: "ServerKeyExchange", 13: "CertificateRequest", 14: "ServerHelloDone",
                   15: "CertificateVerify", 16: "ClientKeyExchange", 20: "Finished"}


def _handshake_messages(data: bytes) -> List[Tuple[int, bytes]]:
    """Plaintext handshake messages at the start of a TLS stream, up to ChangeCipherSpec."""
    handshake = bytearray()
    offset = 0
    while offset + 5 <= len(data):
        content_type = data[offset]
        length = struct.unpack(">H", data[offset + 3:offset + 5])[0]
        if content_type != 22:
            break
        handshake += data[offset + 5:offset + 5 + length]
        offset += 5 + length
    messages = []
    offset = 0
    while offset + 4 <= len(handshake):
        kind = handshake[offset]
        length = int.from_bytes(handshake[offset + 1:offset + 4], "big")
        messages.append((kind, bytes(handshake[offset + 4:offset + 4 + length])))
        offset += 4 + length
    return messages


def tls_summary(up: bytes, down: bytes) -> Dict[str, Any]:
    """Protocol version, cipher suite, whether the server sent its certificate (a full handshake)
    and asked for ours, from the plaintext part of the handshake."""
    summary: Dict[str, Any] = {}
    server = _handshake_messages(down)
    client = _handshake_messages(up)
    kinds = [k for k, _ in server]
    summary["server_messages"] = [HANDSHAKE_NAMES.get(k, str(k)) for k in kinds]
    for kind, body in server:
        if kind != 2 or len(body) < 38:
            continue
        version = struct.unpack(">H", body[0:2])[0]
        session_id_length = body[34]
        cursor = 35 + session_id_length
        if cursor + 3 > len(body):
            break
        summary["cipher_suite"] = f"0x{struct.unpack('>H', body[cursor:cursor + 2])[0]:04X}"
        cursor += 3
        if cursor + 2 <= len(body):
            end = cursor + 2 + struct.unpack(">H", body[cursor:cursor + 2])[0]
            cursor += 2
            while cursor + 4 <= min(end, len(body)):
                ext_type, ext_length = struct.unpack(">HH", body[cursor:cursor + 4])
                if ext_type == 43 and ext_length == 2:  # supported_versions: the chosen one
                    version = struct.unpack(">H", body[cursor + 4:cursor + 6])[0]
                if ext_type == 41:  # pre_shared_key: a TLS 1.3 server resumes (RFC 8446 4.2.11)
                    summary["server_accepted_psk"] = True
                cursor += 4 + ext_length
        summary["version"] = TLS_VERSIONS.get(version, f"0x{version:04X}")
        break
    summary["server_certificate_sent"] = 11 in kinds
    summary["client_certificate_requested"] = 13 in kinds
    client_kinds = [k for k, _ in client]
    summary["client_certificate_sent"] = 11 in client_kinds
    for kind, body in client:
        if kind != 1 or len(body) < 35:
            continue
        summary["client_hello_bytes"] = 4 + len(body)
        session_id_length = body[34]
        cursor = 35 + session_id_length
        if cursor + 2 > len(body):
            break
        suites = struct.unpack(">H", body[cursor:cursor + 2])[0]
        summary["client_hello_suites"] = suites // 2
        cursor += 2 + suites
        if cursor + 1 > len(body):
            break
        cursor += 1 + body[cursor]
        if cursor + 2 <= len(body):
            end = cursor + 2 + struct.unpack(">H", body[cursor:cursor + 2])[0]
            cursor += 2
            while cursor + 4 <= min(end, len(body)):
                ext_type, ext_length = struct.unpack(">HH", body[cursor:cursor + 4])
                if ext_type == 35:
                    summary["client_hello_ticket_bytes"] = ext_length
                cursor += 4 + ext_length
        summary["client_hello_session_id"] = session_id_length > 0
        break
    return summary


# --------------------------------------------------------------------------------------------
# callgrind
# --------------------------------------------------------------------------------------------

def callgrind_total(path: str) -> Optional[int]:
    summary = totals = None
    try:
        with open(path, "r", errors="replace") as f:
            for line in f:
                if line.startswith("summary:"):
                    summary = int(line.split()[1])
                elif line.startswith("totals:"):
                    totals = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return summary if summary is not None else totals


def callgrind_mentions(path: str, function: str) -> bool:
    try:
        with open(path, "r", errors="replace") as f:
            return any(function in line for line in f if line.startswith(("fn=", "cfn=")))
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Measured:
    case: Case
    fields: Dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: List[str] = dataclasses.field(default_factory=list)
    error: Optional[str] = None
    wall_delta_ms: Optional[float] = None
    round_trips_raw: Optional[float] = None


class Bench:
    def __init__(self, args: argparse.Namespace, children: Children) -> None:
        self.args = args
        self.children = children
        self.out = os.path.abspath(args.out_dir)
        self.work = os.path.join(self.out, "work")
        self.mqtls = os.path.abspath(args.mqtls)
        self.proxy_binary = os.path.abspath(args.proxy)
        self.config_tool = os.path.abspath(args.mosquitto_config)
        self.listener_ports: Dict[str, int] = {}
        self.proxies: Dict[Tuple[str, int], Tuple[subprocess.Popen, int]] = {}
        self.proxy_counters: List[Dict[str, Any]] = []
        self.payload = FALLBACK_PAYLOAD.encode()
        self.payload_note = "fallback payload (no reading could be captured from mqtls)"
        self.connection_function = args.connection_function
        self.connection_note = ""
        self.base_env = dict(os.environ)
        self.base_env.pop("OPENSSL_CONF", None)
        self.base_env["LC_ALL"] = "C"

    # ---- setup ---------------------------------------------------------------------------

    def check_tools(self) -> None:
        missing = []
        for tool, package in (("mosquitto", "mosquitto"), ("mosquitto_pub", "mosquitto-clients"),
                              ("mosquitto_sub", "mosquitto-clients"), ("tcpdump", "tcpdump"),
                              ("valgrind", "valgrind"), ("gnuplot", "gnuplot-nox")):
            found = shutil.which(tool) or (shutil.which(tool, path="/usr/sbin:/sbin"))
            if not found:
                missing.append(f"{tool} (Debian package {package})")
        for path, what in ((self.mqtls, "the mqtls command"),
                           (self.proxy_binary, "mqtls_delay_proxy"),
                           (self.config_tool, "mqtls_mosquitto_config")):
            if not os.access(path, os.X_OK):
                missing.append(f"{what}: {path} (bench/wake_cycle.sh builds it)")
        if missing:
            raise EnvironmentProblem("missing: " + "; ".join(missing) +
                                     "\n  bench/wake_cycle.sh installs the tools with apt-get and "
                                     "builds the binaries")
        if os.geteuid() != 0:
            raise EnvironmentProblem("tcpdump needs root (capturing on lo): run as root or with "
                                     "sudo")

    def prepare_work(self) -> None:
        os.makedirs(self.out, exist_ok=True)
        if os.path.exists(self.work):
            if not os.path.exists(os.path.join(self.work, WORK_MARKER)):
                raise EnvironmentProblem(f"{self.work} exists and was not made by this benchmark; "
                                         "remove it or choose another --out-dir")
            shutil.rmtree(self.work)
        os.makedirs(self.work)
        with open(os.path.join(self.work, WORK_MARKER), "w") as f:
            f.write("made by bench/wake_cycle.py; removed at its next run\n")
        with open(os.path.join(self.work, "openssl-tls12.cnf"), "w") as f:
            f.write(OPENSSL_TLS12_CONF)

    def run_setup_command(self, argv: List[str], what: str) -> None:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=60, text=True)
        if result.returncode != 0:
            raise EnvironmentProblem(f"{what} failed: {shell_quote(argv)}\n  exit status "
                                     f"{result.returncode}\n{result.stdout[-2000:]}")

    def make_pki(self, cases: List[Case]) -> None:
        log("setup: PKI (ECDSA P-256 and RSA-2048 CAs and broker certificates, device "
            "certificates)")
        ecdsa, rsa = os.path.join(self.work, "pki-ecdsa"), os.path.join(self.work, "pki-rsa")
        sans = ["--san", "localhost", "--san", "127.0.0.1"]
        self.run_setup_command([self.mqtls, "pki", "init", ecdsa], "mqtls pki init")
        self.run_setup_command([self.mqtls, "pki", "server", ecdsa] + sans, "mqtls pki server")
        self.run_setup_command([self.mqtls, "pki", "init", rsa, "--rsa"], "mqtls pki init --rsa")
        self.run_setup_command([self.mqtls, "pki", "server", rsa, "--rsa"] + sans,
                               "mqtls pki server --rsa")
        for case in cases:
            if case.client_cert:
                self.run_setup_command([self.mqtls, "pki", "device", ecdsa, case.device],
                                       "mqtls pki device")

    def resolve_connection_function(self) -> None:
        """The function whose instructions are the connection's: --connection-function if the
        binary defines it, else the one function named like its last component (noted)."""
        wanted = self.connection_function
        nm = shutil.which("nm")
        if not nm:
            self.connection_note = f"nm not found: {wanted} assumed to be in the binary"
            return
        try:
            listing = subprocess.run([nm, "-C", "--defined-only", self.mqtls],
                                     stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                     timeout=60).stdout
        except subprocess.TimeoutExpired:
            return
        names = set()
        for line in listing.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3:
                names.add(parts[2].split("(", 1)[0].strip())
        if wanted in names:
            return
        short = wanted.rsplit("::", 1)[-1]
        candidates = sorted(n for n in names if n == short or n.endswith("::" + short))
        if len(candidates) == 1:
            self.connection_function = candidates[0]
            self.connection_note = (f"{wanted} is not in {self.mqtls}; the connection-only count "
                                    f"uses {candidates[0]} instead")
        else:
            self.connection_note = (f"{wanted} is not in {self.mqtls} (candidates: "
                                    f"{', '.join(candidates) or 'none'})")
        log(f"setup: {self.connection_note}")

    def pki(self, listener: str) -> str:
        return os.path.join(self.work, "pki-rsa" if listener == "rsa" else "pki-ecdsa")

    def start_broker(self) -> None:
        names = ("plain", "ecdsa", "rsa", "ecdsa-clientcert")
        for name in names:
            self.listener_ports[name] = free_port()
        if len(set(self.listener_ports.values())) != len(names):
            raise EnvironmentProblem("could not find four distinct free ports")
        log_file = os.path.join(self.work, "mosquitto.log")
        # The TLS listeners come from mqtls's one Mosquitto config writer (host/
        # mosquitto_config.hpp, the listener `mqtls broker` and the tests use: AEAD suites
        # only), with anonymous clients allowed so that no case sends credentials the others
        # do not. per_listener_settings is false there: allow_anonymous is global, and the
        # client-certificate listener is closed by its require_certificate.
        generator = [self.config_tool, "--allow-anonymous", "--log-file", log_file,
                     "--listener", f"{self.listener_ports['ecdsa']}:{self.pki('ecdsa')}",
                     "--listener", f"{self.listener_ports['rsa']}:{self.pki('rsa')}",
                     "--listener", f"{self.listener_ports['ecdsa-clientcert']}:"
                                   f"{self.pki('ecdsa-clientcert')}:client-certificate"]
        result = subprocess.run(generator, stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=60)
        if result.returncode != 0:
            raise EnvironmentProblem(f"mqtls_mosquitto_config failed: {shell_quote(generator)}\n"
                                     f"  exit status {result.returncode}\n{result.stderr[-2000:]}")
        # The generator never writes a plaintext listener; the bench adds its reference one.
        text = result.stdout + (
            "\n# BENCH-ONLY PLAINTEXT LISTENER (added by bench/wake_cycle.py): the reference\n"
            "# figures of MQTT without TLS. Never expose plaintext MQTT in a deployment.\n"
            f"listener {self.listener_ports['plain']} 127.0.0.1\n")
        config = os.path.join(self.work, "mosquitto.conf")
        with open(config, "w") as f:
            f.write(text)
        mosquitto = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/sbin")
        out = open(os.path.join(self.work, "mosquitto.out"), "wb")
        log(f"setup: Mosquitto on 127.0.0.1, listeners {self.listener_ports}")
        broker = self.children.start("mosquitto", [mosquitto, "-c", config], stdout=out,
                                     stderr=subprocess.STDOUT)
        out.close()
        self.broker = broker
        deadline = time.monotonic() + 10
        pending = set(self.listener_ports.values())
        while pending and time.monotonic() < deadline and broker.poll() is None:
            for port in list(pending):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        pending.discard(port)
                except OSError:
                    pass
            if pending:
                time.sleep(0.05)
        if pending:
            status = broker.poll()
            raise EnvironmentProblem(
                "Mosquitto did not start" + (f" (exit status {status})" if status is not None
                                             else f" (ports {sorted(pending)} not listening "
                                                  "after 10 s)") +
                f"\n  config: {config}\n  log tail:\n{tail(log_file)}\n  output tail:\n"
                f"{tail(os.path.join(self.work, 'mosquitto.out'))}")

    def check_broker(self) -> None:
        if self.broker.poll() is not None:
            raise EnvironmentProblem(
                f"Mosquitto exited (status {self.broker.returncode}); log tail:\n"
                f"{tail(os.path.join(self.work, 'mosquitto.log'))}")

    def proxy(self, listener: str, delay_ms: int) -> int:
        key = (listener, delay_ms)
        if key in self.proxies:
            proc, port = self.proxies[key]
            if proc.poll() is None:
                return port
            raise EnvironmentProblem(f"mqtls_delay_proxy for {listener} at {delay_ms} ms exited "
                                     f"(status {proc.returncode})")
        stderr_path = os.path.join(self.work, f"proxy-{listener}-{delay_ms}ms.err")
        err = open(stderr_path, "wb")
        argv = [self.proxy_binary, "--upstream-port", str(self.listener_ports[listener]),
                "--delay-ms", str(delay_ms)]
        proc = self.children.start(f"proxy {listener} {delay_ms} ms", argv,
                                   stdout=subprocess.PIPE, stderr=err)
        err.close()
        line = b""
        deadline = time.monotonic() + 10
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 1)
                if not chunk:
                    break
                line += chunk
        match = re.fullmatch(rb"listening 127\.0\.0\.1:(\d+)\n", line)
        if not match:
            self.children.stop(proc)
            raise EnvironmentProblem(f"mqtls_delay_proxy did not start: {shell_quote(argv)}\n"
                                     f"  said {line!r}; stderr:\n{tail(stderr_path)}")
        port = int(match.group(1))
        self.proxies[key] = (proc, port)
        log(f"setup: delay proxy 127.0.0.1:{port} -> {listener} listener, {delay_ms} ms each way")
        return port

    def stop_proxies(self) -> None:
        for (listener, delay_ms), (proc, _) in list(self.proxies.items()):
            self.children.stop(proc)
            try:
                text = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
            except OSError:
                text = ""
            for line in text.splitlines():
                try:
                    counters = json.loads(line)
                except ValueError:
                    continue
                counters["listener"] = listener
                self.proxy_counters.append(counters)
            if proc.stdout:
                proc.stdout.close()
        self.proxies.clear()
        if not os.path.isdir(self.work):
            return
        with open(os.path.join(self.work, "proxy-counters.json"), "w") as f:
            json.dump(self.proxy_counters, f, indent=1)

    # ---- client command lines --------------------------------------------------------------

    def client_argv(self, case: Case, port: int, report: str) -> Tuple[List[str], Dict[str, str]]:
        env = dict(self.base_env)
        if case.client == "mosquitto_pub":
            argv = ["mosquitto_pub", "-h", "localhost", "-p", str(port), "-i", case.device,
                    "-t", f"telemetry/{case.device}", "-q", "1", "-m",
                    self.payload.decode("utf-8")]
            if case.transport == "tls":
                argv[1:1] = ["--cafile", os.path.join(self.pki(case.listener), "ca.crt"),
                             "--tls-version", f"tlsv{case.tls_version}"]
                # --tls-version is only a minimum for OpenSSL clients: 1.2 needs a pin; 1.3 is
                # the highest there is.
                if case.tls_version == "1.2":
                    env["OPENSSL_CONF"] = os.path.join(self.work, "openssl-tls12.cnf")
            return argv, env
        return self.wake_argv(case, port, report, case.device,
                              os.path.join(self.work, f"outbox-{case.id}"),
                              resume=case.handshake == "resumed"), env

    def wake_argv(self, case: Case, port: int, report: str, device: str, outbox: str,
                  resume: bool) -> List[str]:
        """The mqtls wake-cycle command line (one process run = one wake from deep sleep)."""
        pki = self.pki(case.listener)
        argv = [self.mqtls, "node", "--wake-cycle", "-h", "localhost", "-p", str(port),
                "--cafile", os.path.join(pki, "ca.crt")]
        if case.client_cert:
            argv += ["--cert", os.path.join(pki, f"{device}.crt"),
                     "--key", os.path.join(pki, f"{device}.key")]
        argv += ["--device", device, "-q", "1", "--outbox", outbox]
        if case.tls_version != "1.2":
            argv += ["--tls-version", case.tls_version]
        if not resume:
            argv.append("--no-resume")
        if not case.one_flight:
            argv.append("--no-one-flight")
        if resume and case.resumption != "session-id":
            argv += ["--resumption", case.resumption]
        argv += ["--wake-report", report]
        return argv

    # ---- one client run ---------------------------------------------------------------------

    def run_client(self, case: Case, m: Measured, tag: str, delay_ms: int,
                   wrapper: Sequence[str] = (), timeout_s: Optional[float] = None,
                   check_handshake: bool = True
                   ) -> Tuple[RunResult, Optional[Dict[str, Any]]]:
        """One run of the case's client through the proxy; raises BenchError if it failed."""
        self.check_broker()
        port = self.proxy(case.listener, delay_ms)
        base = os.path.join(self.work, f"{case.id}.{tag}")
        report_path = base + ".report.json"
        argv, env = self.client_argv(case, port, report_path)
        argv = list(wrapper) + argv
        result = run_measured(argv, env, base + ".out", base + ".err",
                              timeout_s if timeout_s is not None else self.args.timeout)
        if result.status != 0 or result.timed_out:
            raise BenchError(f"{case.id}: the {tag} run failed\n  {result.describe()}")
        report = None
        if case.client == "mqtls":
            report = self.read_report(case, tag, report_path, check_handshake)
        return result, report

    def read_report(self, case: Case, tag: str, path: str, check_handshake: bool
                    ) -> Dict[str, Any]:
        try:
            with open(path) as f:
                report = json.load(f)
        except (OSError, ValueError) as error:
            raise BenchError(f"{case.id}: the {tag} run exited 0 but its --wake-report {path} "
                             f"is unreadable: {error}")
        if not isinstance(report, dict):
            raise BenchError(f"{case.id}: the {tag} run's wake report is not a JSON object")
        expected = "resumed" if case.handshake == "resumed" else "full"
        if check_handshake and report.get("handshake") != expected:
            raise BenchError(f"{case.id}: the {tag} run reported handshake "
                             f"{report.get('handshake')!r}, expected {expected!r} "
                             f"(report {path}: {json.dumps(report)[:300]})")
        delivered = report.get("delivered")
        if not isinstance(delivered, int) or delivered < 1:
            raise BenchError(f"{case.id}: the {tag} run delivered {delivered!r} readings "
                             f"(report {path})")
        if delivered != 1 or report.get("pending") not in (0, None):
            self.note_once(case, f"the {tag} run delivered {delivered} reading(s), "
                                 f"{report.get('pending')} pending (expected 1 and 0)")
        return report

    def note_once(self, case: Case, note: str) -> None:
        notes = self.current.notes
        if note not in notes:
            notes.append(note)

    # ---- the payload --------------------------------------------------------------------------

    def capture_payload(self, cases: List[Case]) -> None:
        """Runs one unmeasured mqtls wake (device bench-wake00) while mosquitto_sub -C 1 listens
        on its topic, so that mosquitto_pub sends a payload of exactly the node's size."""
        template = next((c for c in cases if c.client == "mqtls" and not c.client_cert), None)
        if template is None:
            return
        device = f"{DEVICE_PREFIX}00"
        log(f"payload: one unmeasured mqtls wake ({device}) with mosquitto_sub -C 1 listening")
        sub_out = os.path.join(self.work, "payload-sub.out")
        out = open(sub_out, "wb")
        # stdbuf: mosquitto_sub's stdout is a file, which stdio would buffer until exit.
        line_buffered = ["stdbuf", "-oL"] if shutil.which("stdbuf") else []
        sub = self.children.start(
            "mosquitto_sub",
            line_buffered + ["mosquitto_sub", "-h", "127.0.0.1",
                             "-p", str(self.listener_ports["plain"]), "-d",
                             "-i", f"bench-payload-{os.getpid()}", "-t", f"telemetry/{device}",
                             "-q", "1", "-C", "1", "-W", "30", "-F", "PAYLOAD %l %x"],
            stdout=out, stderr=subprocess.STDOUT)
        out.close()
        try:
            if not wait_for_file_text(sub_out, "received SUBACK", 10, lambda: sub.poll() is None):
                self.payload_note += "; mosquitto_sub did not subscribe:\n" + tail(sub_out)
                return
            probe = dataclasses.replace(template, id="payload-probe", handshake="full",
                                        one_flight=False, number=0)
            port = self.proxy(probe.listener, 0)
            base = os.path.join(self.work, "payload-probe")
            argv = self.wake_argv(probe, port, base + ".report.json", device,
                                  os.path.join(self.work, "outbox-payload-probe"), resume=False)
            result = run_measured(argv, self.base_env, base + ".out", base + ".err",
                                  self.args.timeout)
            if result.status != 0 or result.timed_out:
                self.payload_note = ("fallback payload: the payload probe wake failed, so no real "
                                     "reading was captured")
                log("payload: the probe wake failed; using the 112-byte fallback reading\n  "
                    + result.describe())
                return
            try:
                sub.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            with open(sub_out, "r", errors="replace") as f:
                match = re.search(r"^PAYLOAD (\d+) ([0-9a-f]*)$", f.read(), re.M)
            if not match:
                self.payload_note = "fallback payload: mosquitto_sub received no reading"
                return
            payload = bytes.fromhex(match.group(2))
            if len(payload) != int(match.group(1)):
                self.payload_note = "fallback payload: the captured reading was garbled"
                return
            self.payload = payload
            self.payload_note = (f"the payload is a real reading captured with mosquitto_sub -C 1 "
                                 "from an unmeasured mqtls wake: "
                                 f"{payload.decode('utf-8', 'replace')}")
        finally:
            self.children.stop(sub)

    # ---- one case ----------------------------------------------------------------------------

    def measure(self, case: Case) -> Measured:
        m = Measured(case)
        self.current = m
        try:
            self.measure_into(case, m)
        except BenchError as error:
            m.error = str(error)
            log(f"{case.id}: FAILED\n{error}")
        return m

    def measure_into(self, case: Case, m: Measured) -> None:
        f = m.fields
        delay = self.args.delay_ms
        if case.handshake == "resumed":
            log(f"{case.id}: priming wake (not measured), so that a TLS session is stored")
            _, report = self.run_client(case, m, "priming", 0, check_handshake=False)
            if report and report.get("handshake") != "full":
                m.notes.append(f"the priming wake reported handshake {report.get('handshake')!r}")

        log(f"{case.id}: capture run at 0 ms (tcpdump)")
        pcap_port = self.proxy(case.listener, 0)
        pcap = os.path.join(self.work, f"{case.id}.pcap")
        _, pcap_report = self.captured_run(case, m, pcap, pcap_port)
        segments, others = read_connection(pcap, pcap_port)
        up = [s for s in segments if s.up]
        down = [s for s in segments if not s.up]
        f.update(bytes_up=sum(s.ip_length for s in up), bytes_down=sum(s.ip_length for s in down),
                 payload_up=sum(len(s.payload) for s in up),
                 payload_down=sum(len(s.payload) for s in down),
                 segments_up=len(up), segments_down=len(down))
        if others:
            m.notes.append(f"{others} other TCP packet(s) to the proxy port in the capture "
                           "(not counted)")
        flights = waiting_flights(segments, case.transport == "tls")
        m.fields["_flights"] = flights
        if case.transport == "tls":
            summary = tls_summary(stream(segments, True), stream(segments, False))
            m.fields["_tls"] = summary
            if summary.get("version") != f"TLS {case.tls_version}":
                raise BenchError(f"{case.id}: the capture shows {summary.get('version')}, not TLS "
                                 f"{case.tls_version} (for mosquitto_pub: is the OPENSSL_CONF pin "
                                 "in effect?)")
            # TLS 1.3 encrypts the server's Certificate; its ServerHello accepts our PSK instead.
            resumed = (summary.get("server_accepted_psk", False) if case.tls_version == "1.3"
                       else not summary["server_certificate_sent"])
            if resumed != (case.handshake == "resumed"):
                raise BenchError(f"{case.id}: the capture shows a "
                                 f"{'resumed' if resumed else 'full'} handshake "
                                 f"(server sent {', '.join(summary['server_messages'])})")
            if (case.client_cert and case.tls_version == "1.2"
                    and not summary["client_certificate_requested"] and not resumed):
                m.notes.append("the broker did not ask for a client certificate")

        log(f"{case.id}: callgrind run at 0 ms (whole process)")
        callgrind = os.path.join(self.work, f"{case.id}.callgrind.out")
        self.run_client(case, m, "callgrind", 0,
                        wrapper=["valgrind", "--tool=callgrind",
                                 f"--callgrind-out-file={callgrind}"],
                        timeout_s=self.args.valgrind_timeout)
        instructions = callgrind_total(callgrind)
        if not instructions:
            raise BenchError(f"{case.id}: no instruction count in {callgrind}")
        f["instructions"] = instructions
        f["connection_instructions"] = None
        if case.client == "mqtls":
            function = self.connection_function
            log(f"{case.id}: callgrind run at 0 ms (only {function})")
            toggled = os.path.join(self.work, f"{case.id}.callgrind-connection.out")
            self.run_client(case, m, "callgrind-connection", 0,
                            wrapper=["valgrind", "--tool=callgrind",
                                     f"--callgrind-out-file={toggled}",
                                     f"--toggle-collect={function}*"],
                            timeout_s=self.args.valgrind_timeout)
            connection = callgrind_total(toggled)
            if connection and callgrind_mentions(toggled, function):
                f["connection_instructions"] = connection
            else:
                m.notes.append(f"connection_instructions is null: {function} was never "
                               "entered under callgrind (not in the binary, or inlined)")

        walls0, cpus, heaps = [], [], []
        for i in range(self.args.runs):
            log(f"{case.id}: run {i + 1}/{self.args.runs} at 0 ms")
            result, report = self.run_client(case, m, f"wall0-{i + 1}", 0)
            walls0.append(result.wall_ms)
            cpus.append(result.cpu_ms)
            if report is not None and isinstance(report.get("tls_heap_peak"), int):
                heaps.append(report["tls_heap_peak"])
        wallsd = []
        for i in range(self.args.runs):
            log(f"{case.id}: run {i + 1}/{self.args.runs} at {delay} ms")
            result, _ = self.run_client(case, m, f"wall{delay}-{i + 1}", delay)
            wallsd.append(result.wall_ms)
        f["cpu_ms"] = round(statistics.median(cpus), 2)
        f["wall_ms_0"] = round(statistics.median(walls0), 2)
        f["wall_ms_delay"] = round(statistics.median(wallsd), 2)
        m.wall_delta_ms = f["wall_ms_delay"] - f["wall_ms_0"]
        m.round_trips_raw = m.wall_delta_ms / (2.0 * delay)
        f["round_trips"] = int(m.round_trips_raw + 0.5) + TCP_HANDSHAKE_ROUND_TRIPS
        if case.client == "mqtls":
            f["tls_heap_peak"] = int(statistics.median_low(heaps)) if heaps else None
            if not heaps:
                m.notes.append("tls_heap_peak is null: the wake reports have no integer "
                               "tls_heap_peak")
            elif max(heaps) != min(heaps):
                m.notes.append(f"tls_heap_peak varied over the runs: {min(heaps)}..{max(heaps)} "
                               "(the median is given)")
        else:
            f["tls_heap_peak"] = None
        if flights != f["round_trips"]:
            m.notes.append(f"cross-check: the capture shows {flights} client flight(s) that "
                           f"waited for the server, the wall times {f['round_trips']} round trips "
                           f"({m.round_trips_raw:.2f} from the delay runs + "
                           f"{TCP_HANDSHAKE_ROUND_TRIPS} TCP handshake)")
        if pcap_report is not None and isinstance(pcap_report.get("delivered"), int) \
                and pcap_report["delivered"] != 1:
            m.notes.append(f"the captured wake delivered {pcap_report['delivered']} readings")

    def captured_run(self, case: Case, m: Measured, pcap: str, port: int
                     ) -> Tuple[RunResult, Optional[Dict[str, Any]]]:
        err_path = pcap + ".tcpdump.err"
        err = open(err_path, "wb")
        dump = self.children.start("tcpdump", ["tcpdump", "-i", "lo", "--immediate-mode", "-U",
                                               "-w", pcap, f"tcp port {port}"],
                                   stop_signal=signal.SIGINT, stdout=subprocess.DEVNULL,
                                   stderr=err)
        err.close()
        try:
            if not wait_for_file_text(err_path, "listening on", 10, lambda: dump.poll() is None):
                raise BenchError(f"{case.id}: tcpdump did not start capturing:\n{tail(err_path)}")
            time.sleep(0.2)  # "listening on" is printed just before the capture loop
            result = self.run_client(case, m, "capture", 0)
            time.sleep(0.5)  # the last ACKs and FINs
        finally:
            status = self.children.stop(dump, timeout_s=5)
        if status not in (0, None) and not os.path.exists(pcap):
            raise BenchError(f"{case.id}: tcpdump failed (status {status}):\n{tail(err_path)}")
        return result

    # ---- output ---------------------------------------------------------------------------------

    def results_json(self, measured: List[Measured]) -> Dict[str, Any]:
        keys = ["bytes_up", "bytes_down", "payload_up", "payload_down", "segments_up",
                "segments_down", "round_trips", "instructions", "connection_instructions",
                "cpu_ms", "tls_heap_peak", "wall_ms_0", "wall_ms_delay"]
        cases = []
        for m in measured:
            if m.error:
                continue
            c = m.case
            entry: Dict[str, Any] = {
                "id": c.id, "label": c.label, "client": c.client, "transport": c.transport,
                "handshake": c.handshake, "server_key": c.server_key, "ca_key": c.ca_key,
                "client_cert": c.client_cert, "one_flight": c.one_flight,
                "resumption": c.resumption if c.handshake == "resumed" else "none",
                "tls_version": c.tls_version if c.transport == "tls" else "none"}
            entry.update({k: m.fields[k] for k in keys})
            cases.append(entry)
        now = datetime.datetime.now(datetime.timezone.utc)
        return {"generated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "delay_ms": self.args.delay_ms, "payload_bytes": len(self.payload),
                "runs": self.args.runs, "cases": cases}


def fmt_int(value: Optional[int]) -> str:
    return "–" if value is None else f"{value:,}"


def fmt_m(value: Optional[int]) -> str:
    return "–" if value is None else f"{value / 1e6:.2f}"


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return None if a is None or not b else a / b


def fmt_ratio(value: Optional[float]) -> str:
    return "" if value is None else f" ({value:.2f}×)"


def markdown(results: Dict[str, Any], measured: List[Measured], bench: Bench) -> str:
    by_id = {c["id"]: c for c in results["cases"]}
    anchor = by_id.get(ANCHOR)
    own_full = by_id.get(OWN_FULL)
    delay = results["delay_ms"]
    lines = [
        f"# Wake cycle: one reading at QoS 1 ({results['generated']})",
        "",
        f"Payload {results['payload_bytes']} bytes; every client connects through "
        f"`mqtls_delay_proxy` on loopback; median of {results['runs']} runs for times; "
        f"bytes, segments and instructions from one run at 0 ms. Bytes are IP + TCP headers + "
        f"payload, up = device → broker. Ratios: bytes vs `{ANCHOR}`, instructions vs "
        f"`{OWN_FULL}`.",
        "",
        "| case | handshake | server key | client cert | one flight | bytes up | bytes down "
        "| bytes total | payload up / down | segments up / down | round trips "
        "| instructions (M) | connection instr. (M) | CPU ms | TLS heap peak | wall ms at 0 ms "
        f"| wall ms at {delay} ms |",
        "|---|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for m in measured:
        c = m.case
        if m.error:
            lines.append(f"| `{c.id}` | FAILED (see below) |" + " |" * 15)
            continue
        f = by_id[c.id]
        total = f["bytes_up"] + f["bytes_down"]
        anchor_total = anchor["bytes_up"] + anchor["bytes_down"] if anchor else None
        instr_ratio = ratio(f["instructions"], own_full["instructions"]) if own_full else None
        conn_ratio = (ratio(f["connection_instructions"], own_full["connection_instructions"])
                      if own_full and own_full["connection_instructions"] else None)
        lines.append(
            f"| `{c.id}` | {c.handshake} | {c.server_key} | {'yes' if c.client_cert else 'no'} "
            f"| {'yes' if c.one_flight else 'no'} | {f['bytes_up']:,} | {f['bytes_down']:,} "
            f"| {total:,}{fmt_ratio(ratio(total, anchor_total))} "
            f"| {f['payload_up']:,} / {f['payload_down']:,} "
            f"| {f['segments_up']} / {f['segments_down']} | {f['round_trips']} "
            f"| {fmt_m(f['instructions'])}{fmt_ratio(instr_ratio)} "
            f"| {fmt_m(f['connection_instructions'])}{fmt_ratio(conn_ratio)} "
            f"| {f['cpu_ms']:.1f} | {fmt_int(f['tls_heap_peak'])} | {f['wall_ms_0']:.1f} "
            f"| {f['wall_ms_delay']:.1f} |")
    lines += ["", "## Targets (issue 6)", ""]
    lines += targets(by_id, bench.connection_function)
    lines += ["", "## Notes", "",
              f"- {bench.payload_note}",
              f"- Round trips = round((median wall at {delay} ms − median wall at 0 ms) / "
              f"(2 × {delay} ms)) + {TCP_HANDSHAKE_ROUND_TRIPS}: the proxy delays every byte but "
              "not the TCP handshake (the kernel completes it), which costs one round trip on a "
              "real link.",
              "- Loopback's MTU is 65536, so segment counts are what the programs wrote; on a "
              "1500-byte link a large flight (a certificate chain) takes several segments.",
              "- `plaintext-mosquitto_pub` runs on a bench-only plaintext listener: a reference, "
              "never a deployment option.",
              "- Instructions: `valgrind --tool=callgrind`, whole client process (start-up, PEM "
              f"parsing, key loading included); connection only: `--toggle-collect="
              f"{bench.connection_function}*` (load session … connect … publish … "
              "disconnect … "
              "save)."] + ([f"- {bench.connection_note}"] if bench.connection_note else [])
    for m in measured:
        c = m.case
        if m.error:
            lines += ["", f"- `{c.id}` FAILED:", "", "```", m.error, "```"]
            continue
        extra = []
        tls = m.fields.get("_tls")
        if tls:
            extra.append(f"{tls.get('version')}, cipher suite {tls.get('cipher_suite')}, server "
                         f"sent {', '.join(tls['server_messages']) or 'nothing in clear'}"
                         + (", client certificate sent" if tls["client_certificate_sent"] else ""))
            if "client_hello_bytes" in tls:
                extra.append(f"ClientHello {tls['client_hello_bytes']} B "
                             f"({tls.get('client_hello_suites')} cipher suites, session ticket "
                             f"extension {tls.get('client_hello_ticket_bytes', 'absent')}"
                             f"{', session id' if tls.get('client_hello_session_id') else ''})")
        extra.append(f"wall delta {m.wall_delta_ms:.1f} ms = {m.round_trips_raw:.2f} × 2 × "
                     f"{delay} ms; {m.fields['_flights']} waiting client flight(s) in the capture")
        extra += m.notes
        lines.append(f"- `{c.id}`: " + "; ".join(extra))
    return "\n".join(lines) + "\n"


def targets(by_id: Dict[str, Dict[str, Any]], connection_function: str) -> List[str]:
    out = []
    for target_id in (TARGET, TARGET_TICKET):
        out += targets_of(by_id, connection_function, target_id)
    for cc_id in (TARGET_CLIENTCERT, TARGET_CLIENTCERT_TICKET):
        out += client_cert_information(by_id, cc_id)
    return out


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def targets_of(by_id: Dict[str, Dict[str, Any]], connection_function: str,
               target_id: str) -> List[str]:
    out = []
    target, anchor = by_id.get(target_id), by_id.get(ANCHOR)
    plain, own = by_id.get(PLAINTEXT), by_id.get(OWN_FULL)
    if target and anchor:
        t = target["bytes_up"] + target["bytes_down"]
        a = anchor["bytes_up"] + anchor["bytes_down"]
        out.append(f"- Bytes: `{target_id}` {t:,} B ≤ 0.5 × `{ANCHOR}` {a:,} B = {a / 2:,.0f} B? "
                   f"{verdict(t <= 0.5 * a)} (ratio {t / a:.2f})")
    else:
        out.append(f"- Bytes ≤ 0.5 × `{ANCHOR}`: NOT MEASURED (`{target_id}` or the anchor "
                   "failed or was not run)")
    if target:
        limit = plain["round_trips"] if plain else 3
        source = f"`{PLAINTEXT}`" if plain else "3, the issue's figure (plaintext not measured)"
        out.append(f"- Round trips: `{target_id}` {target['round_trips']} ≤ {limit} ({source})? "
                   f"{verdict(target['round_trips'] <= limit)}")
    else:
        out.append(f"- Round trips ≤ plaintext: NOT MEASURED (`{target_id}` failed or was not "
                   "run)")
    if target and own:
        r = target["instructions"] / own["instructions"]
        out.append(f"- Instructions, whole process: `{target_id}` "
                   f"{fmt_m(target['instructions'])} M < 0.1 × `{OWN_FULL}` "
                   f"{fmt_m(own['instructions'])} M? {verdict(r < 0.1)} (ratio {r:.3f})")
        if target["connection_instructions"] and own["connection_instructions"]:
            r = target["connection_instructions"] / own["connection_instructions"]
            out.append(f"- Instructions, connection only: `{target_id}` "
                       f"{fmt_m(target['connection_instructions'])}"
                       f" M < 0.1 × {fmt_m(own['connection_instructions'])} M? {verdict(r < 0.1)} "
                       f"(ratio {r:.3f})")
        else:
            out.append("- Instructions, connection only: NOT MEASURED (no count for "
                       f"{connection_function})")
    else:
        out.append("- Instructions < 0.1 × our full handshake: NOT MEASURED (a case failed or "
                   "was not run)")
    return out


def client_cert_information(by_id: Dict[str, Dict[str, Any]], cc_id: str) -> List[str]:
    cc, anchor = by_id.get(cc_id), by_id.get(ANCHOR)
    if not (cc and anchor):
        return []
    t = cc["bytes_up"] + cc["bytes_down"]
    a = anchor["bytes_up"] + anchor["bytes_down"]
    own_cc = by_id.get("mqtls-full-ecdsa-clientcert")
    info = (f"- For information, with a client certificate (`{cc_id}`): bytes "
            f"ratio {t / a:.2f}, {cc['round_trips']} round trips")
    if own_cc:
        info += (f", instructions {cc['instructions'] / own_cc['instructions']:.3f} × "
                 "`mqtls-full-ecdsa-clientcert`")
    return [info]


def gnuplot_chart(results: Dict[str, Any], bench: Bench) -> Optional[str]:
    """wake-cycle.svg; returns an error message or None."""
    if not results["cases"]:
        return "no case was measured"
    data = os.path.join(bench.work, "wake-cycle.dat")
    with open(data, "w") as f:
        f.write("# case\tkB_up\tkB_down\tround_trips\tinstr_M\tconn_M\n")
        for c in results["cases"]:
            conn = c["connection_instructions"]
            f.write(f"{c['id']}\t{c['bytes_up'] / 1000:.3f}\t{c['bytes_down'] / 1000:.3f}\t"
                    f"{c['round_trips']}\t{c['instructions'] / 1e6:.3f}\t"
                    f"{'NaN' if conn is None else f'{conn / 1e6:.3f}'}\n")
    svg = os.path.join(bench.out, "wake-cycle.svg")
    script = os.path.join(bench.work, "wake-cycle.gp")
    title = (f"One wake cycle, one QoS 1 reading ({results['payload_bytes']} B), "
             f"loopback through the delay proxy ({results['generated']})")
    with open(script, "w") as f:
        # Two bars per cluster with gap 1: each bar is 1/3 wide, centred at x -/+ 1/6.
        f.write(f"""set terminal svg size 1100,1350 dynamic font "sans,11" background rgb "white"
set output '{svg}'
set termoption noenhanced
set datafile separator "\\t"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left vertical
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set xrange [-0.6:{len(results["cases"]) - 0.4}]
set xtics rotate by 20 right scale 0 font ",10" nomirror
set lmargin 12
set rmargin 3
set multiplot layout 3,1 title "{title}"
set title "Bytes on the wire (kB: IP + TCP headers + payload)"
set ylabel "kB"
plot '{data}' using 2:xtic(1) title "up (device to broker)" lc rgb "#1f77b4", \\
     '' using 3 title "down (broker to device)" lc rgb "#ff7f0e", \\
     '' using ($0-1./6):2:(sprintf("%.2f", $2)) with labels offset 0,0.6 font ",9" notitle, \\
     '' using ($0+1./6):3:(sprintf("%.2f", $3)) with labels offset 0,0.6 font ",9" notitle
set title "Round trips (including the TCP handshake)"
set ylabel "round trips"
plot '{data}' using 4:xtic(1) title "round trips" lc rgb "#2ca02c", \\
     '' using 0:4:(sprintf("%d", $4)) with labels offset 0,0.6 font ",9" notitle
set title "Client CPU instructions (callgrind, millions)"
set ylabel "millions"
plot '{data}' using 5:xtic(1) title "whole process" lc rgb "#9467bd", \\
     '' using 6 title "connection only ({bench.connection_function})" lc rgb "#8c564b", \\
     '' using ($0-1./6):5:(sprintf("%.1f", $5)) with labels offset 0,0.6 font ",9" notitle, \\
     '' using ($0+1./6):6:(sprintf("%.1f", $6)) with labels offset 0,0.6 font ",9" notitle
unset multiplot
""")
    try:
        result = subprocess.run(["gnuplot", script], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "gnuplot timed out"
    if result.returncode != 0 or not os.path.exists(svg):
        return f"gnuplot failed (status {result.returncode}): {result.stderr[-1000:]}"
    return None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/wake_cycle.py",
        description="Wake-cycle benchmark: bytes, segments, round trips, instructions, CPU and "
                    "wall time of one QoS 1 reading per wake, mosquitto_pub vs mqtls "
                    "(bench/README.md, 'Wake cycle'). Usually run through bench/wake_cycle.sh.")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs per case and delay for the wall and CPU times (median; 1-100)")
    parser.add_argument("--delay-ms", type=int, default=50,
                        help="one-way delay of the delay runs, in ms (1-2000)")
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "build/release/bench/wake-cycle"),
                        help="where wake-cycle.json/.md/.svg go (and work/, remade each run)")
    parser.add_argument("--mqtls", default=os.path.join(ROOT, "build/release/tools/mqtls/mqtls"),
                        help="the mqtls command")
    parser.add_argument("--proxy", default=os.path.join(
        ROOT, "build/release/testing/faultproxy/mqtls_delay_proxy"), help="mqtls_delay_proxy")
    parser.add_argument("--mosquitto-config", default=os.path.join(
        ROOT, "build/release/host/mqtls_mosquitto_config"),
        help="mqtls_mosquitto_config, which writes the broker's TLS listeners (the configuration "
             "mqtls broker and the tests use)")
    parser.add_argument("--cases", default="",
                        help="comma-separated case ids to run (default: all): " +
                             ", ".join(c.id for c in CASES))
    parser.add_argument("--connection-function", default=CONNECTION_FUNCTION,
                        help="mqtls function whose callgrind count is connection_instructions "
                             f"(default {CONNECTION_FUNCTION}; when the binary lacks it, the one "
                             "function with the same last name component is used, and noted)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds one client run may take (default 30)")
    parser.add_argument("--valgrind-timeout", type=float, default=120.0,
                        help="seconds one client run under callgrind may take (default 120)")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be from 1 to 100")
    if not 1 <= args.delay_ms <= 2000:
        parser.error("--delay-ms must be from 1 to 2000 (the round trips are derived from it)")
    if not 1 <= args.timeout <= 600 or not 1 <= args.valgrind_timeout <= 1800:
        parser.error("--timeout must be 1-600 s and --valgrind-timeout 1-1800 s")
    known = {c.id for c in CASES}
    wanted = [c for c in args.cases.split(",") if c]
    unknown = [c for c in wanted if c not in known]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    args.case_list = [c for c in CASES if not wanted or c.id in wanted]
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)

    def on_terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGHUP, on_terminate)
    children = Children()
    bench = Bench(args, children)
    measured: List[Measured] = []
    try:
        bench.check_tools()
        bench.prepare_work()
        bench.make_pki(args.case_list)
        bench.start_broker()
        if any(c.client == "mqtls" for c in args.case_list):
            bench.resolve_connection_function()
            bench.capture_payload(args.case_list)
        else:
            bench.payload_note = ("fallback payload: no mqtls case was selected, so no reading "
                                  "was captured")
        log(f"payload: {len(bench.payload)} bytes ({bench.payload_note.split(':')[0]})")
        for case in args.case_list:
            measured.append(bench.measure(case))
        bench.check_broker()
    except EnvironmentProblem as problem:
        print(f"wake_cycle: {problem}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("wake_cycle: interrupted", file=sys.stderr)
        return 130
    finally:
        bench.stop_proxies()
        children.stop_all()

    results = bench.results_json(measured)
    with open(os.path.join(bench.out, "wake-cycle.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    text = markdown(results, measured, bench)
    chart_error = gnuplot_chart(results, bench)
    if chart_error:
        text += f"\nChart: not drawn: {chart_error}\n"
    else:
        text += "\nChart: `wake-cycle.svg`.\n"
    with open(os.path.join(bench.out, "wake-cycle.md"), "w") as f:
        f.write(text)
    print()
    print(text)
    failed = [m.case.id for m in measured if m.error]
    print(f"results: {os.path.join(bench.out, 'wake-cycle.json')}, wake-cycle.md, wake-cycle.svg "
          f"(work files in {bench.work})")
    if failed:
        print(f"wake_cycle: {len(failed)} of {len(measured)} case(s) FAILED: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    if chart_error:
        print(f"wake_cycle: chart not drawn: {chart_error}", file=sys.stderr)
        return 1
    print(f"wake_cycle: all {len(measured)} case(s) measured")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
