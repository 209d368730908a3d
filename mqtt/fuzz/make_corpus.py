#!/usr/bin/env python3
"""Writes the seed corpora of the mqtt fuzz targets into corpus/<target>/.

    python3 mqtt/fuzz/make_corpus.py            # (re)write the seeds
    python3 mqtt/fuzz/make_corpus.py --check    # exit 1 if a seed on disk differs or is missing

Packets are built here from the MQTT 3.1.1 and 5.0 texts (python3 standard library only), so the seeds
are reproducible and reviewable. Only files named seed-* are written; crash-* reproducers and
anything else saved in the corpus directories are left alone.
"""

import argparse
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent


# ---- MQTT 3.1.1 encoding -----------------------------------------------------------------------

def remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first_byte, body=b""):
    return bytes([first_byte]) + remaining_length(len(body)) + body


def u16(n):
    return struct.pack(">H", n)


def string(text):
    data = text.encode() if isinstance(text, str) else text
    return u16(len(data)) + data


def connect(client_id, keep_alive=60, clean=True, will=None, username=None, password=None):
    flags = 0x02 if clean else 0
    payload = string(client_id)
    if will:
        topic, message, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += string(topic) + string(message)
    if username is not None:
        flags |= 0x80
        payload += string(username)
    if password is not None:
        flags |= 0x40
        payload += string(password)
    return packet(0x10, string("MQTT") + bytes([4, flags]) + u16(keep_alive) + payload)


def connack(session_present=False, code=0):
    return packet(0x20, bytes([1 if session_present else 0, code]))


def publish(topic, payload, qos=0, packet_id=0, retain=False, dup=False):
    first = 0x30 | (qos << 1) | (0x01 if retain else 0) | (0x08 if dup else 0)
    return packet(first, string(topic) + (u16(packet_id) if qos else b"") + payload)


def puback(i):
    return packet(0x40, u16(i))


def pubrec(i):
    return packet(0x50, u16(i))


def pubrel(i):
    return packet(0x62, u16(i))


def pubcomp(i):
    return packet(0x70, u16(i))


def subscribe(i, entries):
    return packet(0x82, u16(i) + b"".join(string(f) + bytes([q]) for f, q in entries))


def suback(i, codes):
    return packet(0x90, u16(i) + bytes(codes))


def unsubscribe(i, filters):
    return packet(0xA2, u16(i) + b"".join(string(f) for f in filters))


def unsuback(i):
    return packet(0xB0, u16(i))


PINGREQ = packet(0xC0)
PINGRESP = packet(0xD0)
DISCONNECT = packet(0xE0)

READING = b'{"t":21.5,"rh":40}'


# ---- decode_packet: one file per packet type, plus streams and edge cases ------------------------

def decode_packet_seeds():
    big = bytes(range(256)) * 2
    return {
        "connect-minimal": connect("dev-001"),
        # A level-5 CONNECT decodes as MQTT 5 even on a 3.1.1 connection (its level decides).
        "connect-mqtt5": connect5("dev-001", prop_section(p_u32(0x11, 60))),
        "connect-full": connect("dev-001", keep_alive=30, clean=False,
                                will=("status/dev-001", b"offline", 1, True),
                                username="device", password=b"\x00secret\xff"),
        "connect-empty-id": connect("", keep_alive=0),
        "connack": connack(),
        "connack-session-present": connack(session_present=True),
        "connack-refused": connack(code=5),
        "publish-qos0": publish("telemetry/device-001", READING),
        "publish-qos1": publish("telemetry/device-001", READING, qos=1, packet_id=1, retain=True),
        "publish-qos2-dup": publish("telemetry/device-001", READING, qos=2, packet_id=0x1234,
                                    dup=True),
        "publish-empty-payload": publish("a", b""),
        "publish-utf8-topic": publish("caf\u00e9/\u6e29\u5ea6/\U0001f321", b"x"),
        "publish-512": publish("bulk/data", big, qos=1, packet_id=0xFFFF),
        "puback": puback(1),
        "pubrec": pubrec(2),
        "pubrel": pubrel(2),
        "pubcomp": pubcomp(2),
        "subscribe": subscribe(10, [("a/+/c", 1), ("sensors/#", 2), ("$SYS/#", 0)]),
        "suback": suback(10, [1, 2, 0x80]),
        "unsubscribe": unsubscribe(11, ["a/+/c", "sensors/#"]),
        "unsuback": unsuback(11),
        "pingreq": PINGREQ,
        "pingresp": PINGRESP,
        "disconnect": DISCONNECT,
        # The broker side of a whole conversation, back to back (the target decodes in a loop).
        "stream-broker": connack() + suback(1, [1]) + publish("cmd/dev-001", b"on", 1, 7)
        + publish("cmd/dev-001", b"off", 2, 8) + pubrel(8) + puback(2) + pubrec(3)
        + pubcomp(3) + unsuback(4) + PINGRESP,
        "stream-client": connect("dev-001") + publish("telemetry/device-001", READING, 1, 1)
        + subscribe(2, [("cmd/#", 1)]) + pubrel(3) + PINGREQ + DISCONNECT,
        # Remaining-length edges: 127/128 (one and two length bytes).
        "publish-length-127": publish("t", b"p" * 124),
        "publish-length-128": publish("t", b"p" * 125),
    }


# ---- session_receive: captured broker streams behind a small script -------------------------------
# Layout (see session_receive.cpp): options byte, script length, script, broker stream; after the
# script, its receive steps (00..9f) repeat as chunk sizes until the stream is used up.
# Our client publishes and subscribes with packet identifiers 1, 2, 3... in call order.

CLEAN, KEEPALIVE_5S, KEEPALIVE_60S, SESSION_PRESENT, HOLD = 0x01, 0x02, 0x04, 0x08, 0x10
PUB_QOS0, PUB_QOS1, PUB_QOS2 = 0xA4, 0xA5, 0xA6  # 8-byte payload
PUB_QOS1_64 = 0xA9  # 64-byte payload
PUB_TOO_LARGE = 0xAD  # QoS 1, 250-byte payload: larger than the tx buffer
SUBSCRIBE_2, UNSUBSCRIBE_1 = 0xD1, 0xD8


def wait(ms_power_of_two):
    return 0xC0 | ms_power_of_two


DISCONNECT_OP, RECONNECT, CONNECT_ONLY, CLOSE, TOGGLE_HOLD, HALF_SEND, TOGGLE_POLL = range(0xE0,
                                                                                           0xE7)
REST = 0xFF


def session_input(options, script, stream):
    return bytes([options, len(script)]) + bytes(script) + stream


def session_receive_seeds():
    c = CLEAN | KEEPALIVE_60S
    qos2_in = publish("cmd/x", b"once", 2, 5)
    seeds = {
        "publish-qos0-in": session_input(c, [], publish("cmd/dev-001", READING)),
        "publish-qos1-in": session_input(c, [], publish("cmd/dev-001", READING, 1, 7)),
        "publish-qos2-in": session_input(c, [], publish("cmd/dev-001", READING, 2, 8)
                                         + publish("cmd/dev-001", READING, 2, 8, dup=True)
                                         + pubrel(8)),
        "publish-qos1-out": session_input(c, [PUB_QOS1, REST], puback(1)),
        "publish-qos2-out": session_input(c, [PUB_QOS2, REST], pubrec(1) + pubcomp(1)),
        "subscribe": session_input(c, [SUBSCRIBE_2, REST], suback(1, [1, 0x80])),
        "unsubscribe": session_input(c, [UNSUBSCRIBE_1, REST], unsuback(1)),
        "keepalive": session_input(CLEAN | KEEPALIVE_5S, [wait(13), wait(10), REST], PINGRESP),
        "keepalive-timeout": session_input(CLEAN | KEEPALIVE_5S, [wait(13), wait(14)], b""),
        "connect-timeout": session_input(c, [CONNECT_ONLY, wait(14)], b""),
        "connack-in-stream": session_input(c, [CONNECT_ONLY, wait(10), REST],
                                           connack() + publish("cmd/x", b"1", 1, 1)),
        "connack-refused": session_input(c, [CONNECT_ONLY, REST], connack(code=5)),
        # A broker stream cut into 1-byte, then 3-byte, then 17-byte pieces.
        "broker-stream-bytewise": session_input(
            c, [PUB_QOS1, PUB_QOS2, SUBSCRIBE_2, 0x00],
            puback(1) + pubrec(2) + suback(3, [1, 2]) + publish("cmd/dev-001", READING, 1, 9)
            + pubcomp(2) + PINGRESP),
        "broker-stream-chunks": session_input(
            c, [PUB_QOS1, PUB_QOS1, 0x02, 0x10],
            puback(2) + puback(1) + publish("a/b", READING, 2, 3) + pubrel(3)
            + publish("a/b", b"", 0)),
        "window-full": session_input(
            c | HOLD, [PUB_QOS1_64] * 6 + [TOGGLE_HOLD, REST],
            puback(1) + puback(2) + puback(3) + puback(4)),
        "resend-after-reconnect": session_input(
            KEEPALIVE_60S | SESSION_PRESENT, [PUB_QOS1, PUB_QOS2, RECONNECT, REST],
            puback(1) + pubrec(2) + pubcomp(2)),
        "pubrel-resent-after-reconnect": session_input(
            KEEPALIVE_60S | SESSION_PRESENT, [PUB_QOS2, 0x03, RECONNECT, REST],
            pubrec(1) + pubcomp(1)),
        "qos2-in-across-reconnect": session_input(
            KEEPALIVE_60S | SESSION_PRESENT, [len(qos2_in) - 1, RECONNECT, REST],
            qos2_in + publish("cmd/x", b"once", 2, 5, dup=True) + pubrel(5)),
        "abandoned-request": session_input(c, [SUBSCRIBE_2, UNSUBSCRIBE_1, CLOSE], b""),
        "disconnect": session_input(c, [PUB_QOS0, DISCONNECT_OP, wait(3)], b""),
        "held-output-half-sent": session_input(
            c | HOLD, [PUB_QOS1_64, PUB_QOS1_64, HALF_SEND, TOGGLE_HOLD, REST],
            puback(1) + puback(2)),
        "unpolled-events": session_input(
            c, [TOGGLE_POLL, REST],
            publish("x", b"1", 0) + publish("x", b"2", 0) + publish("x", b"3", 0)),
        "incoming-window-full": session_input(
            c, [], b"".join(publish("cmd/x", b"", 2, i) for i in range(1, 6))),
        "event-queue-full": session_input(
            c, [TOGGLE_POLL] + [PUB_QOS1] * 4 + [UNSUBSCRIBE_1] * 2 + [REST],
            puback(1) + puback(2) + puback(3) + puback(4) + unsuback(5) + unsuback(6)
            + PINGRESP + PINGRESP),
        "unknown-puback": session_input(c, [], puback(42)),
        "unknown-pubrec": session_input(c, [PUB_QOS1, 0x03, REST], pubrec(1) + pubrec(7)),
        "unknown-pubcomp": session_input(c, [PUB_QOS2, REST], pubcomp(1)),
        "unknown-unsuback": session_input(c, [], unsuback(3)),
        "suback-count-mismatch": session_input(c, [SUBSCRIBE_2, REST], suback(1, [0])),
        "connack-twice": session_input(c, [], connack()),
        "publish-before-connack": session_input(c, [CONNECT_ONLY, REST], publish("x", b"1")),
        "server-bound-packet": session_input(c, [], subscribe(1, [("a", 0)])),
        "calls-while-closed": session_input(
            c, [CLOSE, PUB_QOS0, PUB_QOS1, SUBSCRIBE_2, UNSUBSCRIBE_1, DISCONNECT_OP, RECONNECT,
                PUB_TOO_LARGE, wait(15)], b""),
        "no-keepalive": session_input(CLEAN, [wait(15), wait(15)], b""),
        "oversized-packet": session_input(c, [], publish("big", b"x" * 600)),
    }
    seeds.update(session_receive_v5_seeds())
    return seeds


# MQTT 5 broker streams (options bit 5): Reason Codes, CONNACK limits, DISCONNECT.
MQTT5 = 0x20


def publish5(topic, payload, qos=0, packet_id=0, props=b"\x00"):
    first = 0x30 | (qos << 1)
    body = string(topic) + (u16(packet_id) if qos else b"") + props + payload
    return packet(first, body)


def session_receive_v5_seeds():
    c = CLEAN | KEEPALIVE_60S | MQTT5
    return {
        "v5-publish-in": session_input(c, [], publish5("cmd/dev-001", READING, 1, 7)
                                       + publish5("cmd/x", b"once", 2, 8) + pubrel(8)),
        "v5-puback-denied": session_input(c, [PUB_QOS1, REST], packet(0x40, u16(1) + b"\x87"
                                          + prop_section(p_str(0x1F, "acl")))),
        "v5-pubrec-failure": session_input(c, [PUB_QOS2, PUB_QOS1, REST],
                                           packet(0x50, u16(1) + b"\x80") + packet(0x40, u16(2))),
        "v5-suback-unsuback": session_input(
            c, [SUBSCRIBE_2, UNSUBSCRIBE_1, REST],
            packet(0x90, u16(1) + b"\x00\x01\x87") + packet(0xB0, u16(2) + b"\x00\x11")),
        "v5-connack-limits": session_input(
            CLEAN | KEEPALIVE_60S | MQTT5, [CONNECT_ONLY, REST, PUB_QOS1, PUB_QOS2, PUB_QOS1_64],
            packet(0x20, b"\x00\x00" + prop_section(p_u16(0x21, 1), p_byte(0x24, 1),
                                                    p_u32(0x27, 40), p_u16(0x13, 5)))
            + packet(0x40, u16(1))),
        "v5-connack-refused": session_input(c, [CONNECT_ONLY, REST],
                                            packet(0x20, b"\x00\x9d" + prop_section(
                                                p_str(0x1C, "b2:8883")))),
        "v5-disconnect": session_input(c, [PUB_QOS1, REST],
                                       packet(0xE0, b"\x8e" + prop_section(p_str(0x1F, "bye")))),
        "v5-topic-alias": session_input(c, [], publish5("t", b"x", 0, 0, prop_section(p_u16(0x23, 1)))),
        # Incoming aliases: alias 1 set for "t", then alone; alias 2 alone was never set.
        "v5-incoming-aliases": session_input(
            c, [], publish5("t", b"x", 0, 0, prop_section(p_u16(0x23, 1)))
            + publish5("", b"y", 0, 0, prop_section(p_u16(0x23, 1)))
            + publish5("", b"z", 0, 0, prop_section(p_u16(0x23, 2)))),
        # Topic Alias Maximum 2: our publishes to one topic go out under alias 1 (3.3.2.3.4).
        "v5-outgoing-aliases": session_input(
            CLEAN | KEEPALIVE_60S | MQTT5, [CONNECT_ONLY, REST, PUB_QOS1, PUB_QOS1, PUB_QOS2],
            packet(0x20, b"\x00\x00" + prop_section(p_u16(0x22, 2), p_u16(0x21, 1)))
            + packet(0x40, u16(1)) + packet(0x40, u16(2))),
    }


# ---- topic_filter: "<filter>\0<topic>" pairs from section 4.7 ----------------------------------------

def topic_filter_seeds():
    pairs = [
        ("sport/tennis/player1/#", "sport/tennis/player1"),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"),
        ("sport/#", "sport"),
        ("sport/tennis/+", "sport/tennis/player1"),
        ("sport/+", "sport"),
        ("+/+", "/finance"),
        ("/+", "/finance"),
        ("+", "/finance"),
        ("#", "$SYS/monitor/Clients"),
        ("$SYS/#", "$SYS/monitor/Clients"),
        ("+/monitor/Clients", "$SYS/monitor/Clients"),
        ("sport/tennis#", "sport/tennis"),
        ("sport+", "sport"),
        ("a//b", "a//b"),
        ("caf\u00e9/+", "caf\u00e9/\U0001f321"),
    ]
    seeds = {f"pair-{i:02d}": (f + "\0" + t).encode() for i, (f, t) in enumerate(pairs)}
    seeds["utf8-surrogate"] = b"a/\xed\xa0\x80\0a/b"
    seeds["utf8-overlong-nul"] = b"a/\xc0\x80\0a/b"
    seeds["utf8-above-max"] = b"\xf4\x90\x80\x80\0x"
    seeds["utf8-truncated"] = b"a/\xe2\x82\0a/\xe2\x82\xac"
    seeds["no-separator"] = b"telemetry/device-001"
    return seeds


# ---- decode_properties: a context byte, then an MQTT 5 property section ----------------------------
# Contexts (properties.hpp PropertyContext): connect 0, connack 1, publish 2, will 3, puback 4,
# pubrec 5, pubrel 6, pubcomp 7, subscribe 8, suback 9, unsubscribe 10, unsuback 11,
# disconnect 12, auth 13.

def vbi(n):
    return remaining_length(n)


def prop_section(*props):
    body = b"".join(props)
    return vbi(len(body)) + body


def p_byte(i, v):
    return bytes([i, v])


def p_u16(i, v):
    return bytes([i]) + u16(v)


def p_u32(i, v):
    return bytes([i]) + v.to_bytes(4, "big")


def p_str(i, text):
    return bytes([i]) + string(text)


def p_bin(i, data):
    return bytes([i]) + u16(len(data)) + data


def p_user(name, value):
    return bytes([0x26]) + string(name) + string(value)


def decode_properties_seeds():
    return {
        "connect": bytes([0]) + prop_section(p_u32(0x11, 3600), p_u16(0x21, 10),
                                             p_u32(0x27, 4096), p_u16(0x22, 5),
                                             p_byte(0x17, 1), p_byte(0x19, 0),
                                             p_user("fw", "1.2")),
        "connack": bytes([1]) + prop_section(p_u32(0x11, 0), p_u16(0x21, 20), p_byte(0x24, 1),
                                             p_byte(0x25, 1), p_u32(0x27, 268435460),
                                             p_str(0x12, "auto-1234"), p_u16(0x22, 10),
                                             p_str(0x1F, "ok"), p_byte(0x28, 1),
                                             p_byte(0x29, 0), p_byte(0x2A, 1), p_u16(0x13, 30),
                                             p_str(0x1A, "resp/"), p_str(0x1C, "other:8883")),
        "publish": bytes([2]) + prop_section(p_byte(0x01, 1), p_u32(0x02, 600),
                                             p_str(0x03, "application/json"),
                                             p_str(0x08, "reply/dev-1"),
                                             p_bin(0x09, b"\x00\x01corr"), p_u16(0x23, 3),
                                             bytes([0x0B]) + vbi(200), bytes([0x0B]) + vbi(1),
                                             p_user("k", "v"), p_user("k", "v2")),
        "will": bytes([3]) + prop_section(p_u32(0x18, 30), p_byte(0x01, 0), p_u32(0x02, 60)),
        "puback-denied": bytes([4]) + prop_section(p_str(0x1F, "not authorized"),
                                                   p_user("why", "acl")),
        "subscribe": bytes([8]) + prop_section(bytes([0x0B]) + vbi(268435455)),
        "disconnect": bytes([12]) + prop_section(p_u32(0x11, 0), p_str(0x1C, "b2:8883"),
                                                 p_str(0x1F, "server shutting down")),
        "auth": bytes([13]) + prop_section(p_str(0x15, "SCRAM-SHA-1"), p_bin(0x16, b"\x01\x02")),
        "empty-then-payload": bytes([2]) + prop_section() + b"payload",
        "duplicate-alias": bytes([2]) + prop_section(p_u16(0x23, 1), p_u16(0x23, 2)),
        "overlong-length": bytes([2]) + b"\x80\x00",
    }


# ---- decode_packet_v5: MQTT 5 packets (OASIS MQTT Version 5.0, section 3) ----------------------

def connect5(client_id, props=b"", will=None, username=None, password=None, clean=True):
    flags = 0x02 if clean else 0
    payload = string(client_id)
    if will is not None:
        topic, message, qos, retain, will_props = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += prop_section(*will_props) + string(topic) + u16(len(message)) + message
    if username is not None:
        flags |= 0x80
        payload += string(username)
    if password is not None:
        flags |= 0x40
        payload += u16(len(password)) + password
    return packet(0x10, string("MQTT") + bytes([5, flags]) + u16(60) + props + payload)


def decode_packet_v5_seeds():
    alias = p_u16(0x23, 1)
    seeds = {
        "connect-minimal": connect5("c", prop_section()),
        "connect-full": connect5("dev-1", prop_section(p_u32(0x11, 3600), p_u16(0x21, 10),
                                                        p_u32(0x27, 4096), p_u16(0x22, 5),
                                                        p_user("fw", "1")),
                                 will=("dev-1/status", b"offline", 1, True,
                                       [p_u32(0x18, 30), p_byte(0x01, 1)]),
                                 username="u", password=b"\x00\xff"),
        "connect-password-only": connect5("", prop_section(), password=b"pw", clean=False),
        "connack-properties": packet(0x20, b"\x01\x00" + prop_section(
            p_u16(0x22, 10), p_u16(0x21, 5), p_str(0x12, "auto-1"), p_u16(0x13, 30),
            p_u32(0x27, 2048), p_byte(0x24, 1))),
        "connack-refused": packet(0x20, b"\x00\x87" + prop_section(p_str(0x1F, "no"))),
        "connack-moved": packet(0x20, b"\x00\x9d" + prop_section(p_str(0x1C, "b2:8883"))),
        "publish-properties": packet(0x32, string("a/b") + u16(10) + prop_section(
            p_u32(0x02, 60), alias, p_user("k", "v"), p_str(0x03, "application/json"),
            bytes([0x0B]) + vbi(7)) + b"hi"),
        "publish-alias-only": packet(0x30, string("") + prop_section(alias) + b"z"),
        "puback-short": packet(0x40, u16(1)),
        "puback-denied": packet(0x40, u16(1) + b"\x87"),
        "puback-long-success": packet(0x40, u16(1) + b"\x00" + prop_section()),
        "pubrec-reason": packet(0x50, u16(2) + b"\x10" + prop_section(p_str(0x1F, "x"))),
        "pubrel": packet(0x62, u16(3) + b"\x92"),
        "pubcomp": packet(0x70, u16(4)),
        "subscribe-options": packet(0x82, u16(5) + prop_section(bytes([0x0B]) + vbi(7)) +
                                    string("a/#") + b"\x2d" + string("b") + b"\x10"),
        "suback": packet(0x90, u16(5) + prop_section() + b"\x01\x87\xa2"),
        "unsubscribe": packet(0xA2, u16(6) + prop_section(p_user("a", "b")) + string("x/+")),
        "unsuback": packet(0xB0, u16(6) + prop_section() + b"\x00\x11"),
        "ping": packet(0xC0) + packet(0xD0),
        "disconnect-empty": packet(0xE0),
        "disconnect-code": packet(0xE0, b"\x04"),
        "disconnect-taken-over": packet(0xE0, b"\x8e" + prop_section(p_str(0x1F, "bye"),
                                                                     p_u32(0x11, 0))),
        "auth-empty": packet(0xF0),
        "auth-continue": packet(0xF0, b"\x18" + prop_section(p_str(0x15, "m"),
                                                             p_bin(0x16, b"d"))),
        "bad-auth-data-only": packet(0xF0, b"\x18" + prop_section(p_bin(0x16, b"d"))),
        "bad-subscribe-retain-handling": packet(0x82, u16(1) + prop_section() + string("a") +
                                                b"\x30"),
    }
    seeds["stream"] = (seeds["connack-properties"] + seeds["publish-properties"] +
                       seeds["puback-denied"] + seeds["disconnect-taken-over"])
    return seeds


TARGETS = {
    "decode_packet": decode_packet_seeds,
    "decode_packet_v5": decode_packet_v5_seeds,
    "decode_properties": decode_properties_seeds,
    "session_receive": session_receive_seeds,
    "topic_filter": topic_filter_seeds,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify instead of writing")
    args = parser.parse_args()
    stale = []
    for target, make in TARGETS.items():
        directory = HERE / "corpus" / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in make().items():
            path = directory / f"seed-{name}"
            if args.check:
                if not path.is_file() or path.read_bytes() != data:
                    stale.append(str(path))
            elif not path.is_file() or path.read_bytes() != data:
                path.write_bytes(data)
                print(f"wrote {path.relative_to(HERE)} ({len(data)} bytes)")
    if stale:
        print("stale seeds (run make_corpus.py):\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
