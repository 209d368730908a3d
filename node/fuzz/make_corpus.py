#!/usr/bin/env python3
"""Writes the seed corpus of the outbox_recovery fuzz target: valid logs in the outbox's
record format (node/include/mqtls/node/outbox.hpp), and the same logs torn, corrupted and
split across the two segments. Run from this folder: ./make_corpus.py"""
import os
import struct
import zlib

BEGIN, READING, STATE, COMMIT, INFLIGHT, RELEASE = 1, 2, 3, 4, 5, 6


def record(kind, body):
    head = struct.pack("<BBH", kind, 0, len(body))
    crc = zlib.crc32(head + body) & 0xFFFFFFFF
    return head + struct.pack("<I", crc) + body


def begin(epoch, head, nxt, dropped):
    return record(BEGIN, struct.pack("<IQQQ", epoch, head, nxt, dropped))


def reading(seq, payload):
    return record(READING, struct.pack("<Q", seq) + payload)


def state(head, nxt, dropped):
    return record(STATE, struct.pack("<QQQ", head, nxt, dropped))


def inflight(seq, packet_id):
    return record(INFLIGHT, struct.pack("<QH", seq, packet_id))


def release(seq):
    return record(RELEASE, struct.pack("<Q", seq))


def commit(epoch):
    return record(COMMIT, struct.pack("<I", epoch))


def seed(first, second=b""):
    return struct.pack("<H", len(first)) + first + second


def main():
    out = "corpus/outbox_recovery"
    os.makedirs(out, exist_ok=True)
    fresh = begin(1, 1, 1, 0) + commit(1)
    readings = b"".join(reading(s, b'{"device":"d","seq":%d}' % s) for s in range(1, 6))
    live = fresh + readings + state(3, 6, 0)
    compacted = begin(2, 3, 6, 0) + reading(3, b"three") + reading(4, b"four") + commit(2)
    seeds = {
        "empty": seed(b""),
        "fresh": seed(fresh),
        "live": seed(live),
        "torn": seed(live[:-5]),
        "corrupt-middle": seed(live[:60] + bytes([live[60] ^ 0x40]) + live[61:]),
        "two-segments": seed(live, compacted),
        "uncommitted-copy": seed(live, compacted[:-12]),
        "dropped": seed(fresh + readings + state(4, 9, 3) + reading(9, b"nine")),
        "no-commit": seed(begin(1, 1, 1, 0) + readings),
        "garbage": seed(bytes(range(256)) * 2),
        "in-flight": seed(live + inflight(3, 17), compacted[:-12] + inflight(3, 18) + commit(2)),
        # A window in flight, acknowledged out of order; an id noted twice (a lost release).
        "window": seed(live + inflight(1, 7) + inflight(2, 8) + inflight(3, 9) + release(2)
                       + state(3, 6, 0) + release(4)),
        "window-compacted": seed(live, begin(2, 3, 6, 0) + reading(3, b"three") + reading(5, b"five")
                                 + inflight(3, 9) + inflight(5, 10) + commit(2) + release(5)),
        "id-noted-twice": seed(live + inflight(1, 4) + inflight(2, 4)),
        # Counters no outbox writes: the seq must not wrap round to 0 (found by this target).
        "counter-at-the-top": seed(fresh + state(2**64 - 1, 2**64 - 1, 0)),
        "seq-at-the-top": seed(fresh + reading(2**64 - 1, b"top")),
        "last-json-safe-seq": seed(begin(1, 2**53 - 1, 2**53 - 1, 0) + commit(1)),
        "every-seq-used": seed(begin(1, 2**53, 2**53, 0) + commit(1)),
        # Found by this target: a segment at epoch 0xFFFFFFFF, full enough that the next push
        # compacts into epoch 0 (the copy must win: serial-number order).
        "epoch-wrap": seed(begin(2**32 - 1, 1, 3, 0) + reading(1, b"one") + reading(2, b"two")
                           + commit(2**32 - 1) + b"".join(state(1, 3, 0) for _ in range(140))),
        # Found by this target: a COMMIT behind a record replay refuses (a seq beyond
        # max_sequence) must not make the segment count as committed.
        "commit-behind-implausible": seed(begin(5, 1, 1, 0) + reading(2**60, b"x") + commit(5),
                                          begin(3, 1, 7, 0) + commit(3)),
        # Found by this target: a STATE whose next is below a live reading's seq must not lower
        # the sequence (the next push would reuse seq 3).
        "state-lowers-next": seed(fresh + reading(1, b"one") + reading(2, b"two")
                                  + reading(3, b"three") + state(1, 3, 0)),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
