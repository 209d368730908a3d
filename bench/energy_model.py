#!/usr/bin/env python3
"""Energy MODEL of one ESP32 wake cycle, built on the wake-cycle benchmark's measurements.

This is a model, not a measurement. The bench measures, per case, bytes and TCP segments each
way, round trips and which TLS handshake happened (so which public-key operations it implies).
Everything that turns those counts into joules is a constant of the device profile
(bench/energy_profile_esp32.json), each cited or marked as an assumption in docs/energy-model.md.
x86 instruction counts are NOT converted into ESP32 time: public-key work uses cited per-operation
costs instead.

Usage:
    bench/energy_model.py RESULTS.json [--profile bench/energy_profile_esp32.json]
                          [--rtt-ms 100] [--out-dir DIR]

Writes a markdown report to stdout and DIR/energy.md, and a chart DIR/energy.svg (gnuplot).
Exit status: 0 done; 2 bad input (missing file, malformed JSON, missing or invalid field);
3 the markdown was written but the chart was not (gnuplot missing or failed).
Python 3 standard library only.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys

PROG = "energy_model.py"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROFILE = os.path.join(HERE, "energy_profile_esp32.json")
INTERVALS_MIN = (1, 10, 60)

TRANSPORTS = ("tls", "plaintext")
HANDSHAKES = ("none", "full", "resumed")
KEY_TYPES = ("none", "ecdsa-p256", "rsa-2048")

# Fields the model reads; the bench also writes others (instructions, cpu_ms, ...), shown only.
REQUIRED_CASE_FIELDS = {
    "id": "str",
    "transport": "str",
    "handshake": "str",
    "server_key": "str",
    "ca_key": "str",
    "client_cert": "bool",
    "one_flight": "bool",
    "bytes_up": "count",
    "bytes_down": "count",
    "payload_up": "count",
    "payload_down": "count",
    "segments_up": "count",
    "segments_down": "count",
    "round_trips": "count",
}
INFO_FIELDS = ("instructions", "connection_instructions", "cpu_ms", "tls_heap_peak",
               "wall_ms_0", "wall_ms_delay")

# Profile constants the model uses, with the unit it expects (checked against the file).
PROFILE_UNITS = {
    "supply_voltage": "V",
    "tx_current": "mA",
    "rx_current": "mA",
    "radio_wait_current": "mA",
    "cpu_busy_extra_current": "mA",
    "phy_rate": "Mbit/s",
    "frame_overhead": "us per TCP segment",
    "deep_sleep_current": "uA",
    "boot_time": "ms",
    "boot_charge_measured": "mC",
    "wifi_connect_time": "ms",
    "wifi_connect_charge_measured": "mC",
    "board_baseline_current": "mA",
    "ecdhe_keygen_p256": "ms",
    "ecdh_shared_p256": "ms",
    "ecdsa_p256_verify": "ms",
    "ecdsa_p256_sign": "ms",
    "rsa2048_verify": "ms",
    "aes_gcm_cost": "us per byte",
    "battery_capacity": "mAh",
    "battery_nominal_voltage": "V",
    "battery_usable_fraction": "fraction",
}

# Public-key operations: name -> (profile constant, label)
PK_OPS = {
    "ecdhe_keygen": ("ecdhe_keygen_p256", "ECDHE P-256 key generation"),
    "ecdh_shared": ("ecdh_shared_p256", "ECDH P-256 shared secret"),
    "ecdsa_verify": ("ecdsa_p256_verify", "ECDSA P-256 verify"),
    "rsa_verify": ("rsa2048_verify", "RSA-2048 verify (e=65537)"),
    "ecdsa_sign": ("ecdsa_p256_sign", "ECDSA P-256 sign"),
}
VERIFY_OP = {"ecdsa-p256": "ecdsa_verify", "rsa-2048": "rsa_verify"}

COMPONENTS = (  # key, short column title, chart title
    ("boot", "boot", "boot from deep sleep"),
    ("wifi", "Wi-Fi assoc+DHCP", "Wi-Fi association + DHCP"),
    ("wait", "RTT wait", "radio on, waiting on round trips"),
    ("air", "TX/RX airtime", "TX/RX airtime"),
    ("pk", "public-key", "public-key crypto (CPU, radio on)"),
    ("sym", "symmetric", "symmetric crypto (AES-GCM)"),
)
SESSION_KEYS = ("wait", "air", "pk", "sym")


class InputError(Exception):
    """Bad input: reported as one line on stderr, exit status 2."""


# ---------------------------------------------------------------- loading and validation

def load_json(path, what):
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise InputError(f"{what} file not found: {path}")
    except IsADirectoryError:
        raise InputError(f"{what} path is a directory, not a file: {path}")
    except OSError as e:
        raise InputError(f"cannot read {what} file {path}: {e.strerror or e}")
    except UnicodeDecodeError:
        raise InputError(f"{what} file {path} is not UTF-8 text")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{what} file {path} is not valid JSON: {e.msg} at line {e.lineno}, "
                         f"column {e.colno}")


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_case(i, case, seen_ids):
    where = f"case #{i + 1}"
    if not isinstance(case, dict):
        raise InputError(f"results: {where} is not a JSON object")
    if isinstance(case.get("id"), str) and case["id"]:
        where = f"case '{case['id']}'"
    for field, kind in REQUIRED_CASE_FIELDS.items():
        if field not in case:
            raise InputError(f"results: {where} is missing required field '{field}'")
        if case[field] is None:
            raise InputError(f"results: {where}: required field '{field}' is null")
        v = case[field]
        if kind == "str" and not (isinstance(v, str) and v):
            raise InputError(f"results: {where}: field '{field}' must be a non-empty string, "
                             f"got {json.dumps(v)}")
        if kind == "bool" and not isinstance(v, bool):
            raise InputError(f"results: {where}: field '{field}' must be true or false, "
                             f"got {json.dumps(v)}")
        if kind == "count" and not (is_number(v) and v >= 0):
            raise InputError(f"results: {where}: field '{field}' must be a number >= 0, "
                             f"got {json.dumps(v)}")
    enums = (("transport", TRANSPORTS), ("handshake", HANDSHAKES),
             ("server_key", KEY_TYPES), ("ca_key", KEY_TYPES))
    for field, allowed in enums:
        if case[field] not in allowed:
            raise InputError(f"results: {where}: field '{field}' is {json.dumps(case[field])}, "
                             f"expected one of {', '.join(allowed)}")
    if case["id"] in seen_ids:
        raise InputError(f"results: case id '{case['id']}' appears twice")
    seen_ids.add(case["id"])
    if case["transport"] == "plaintext" and case["handshake"] != "none":
        raise InputError(f"results: {where}: transport 'plaintext' needs handshake 'none', "
                         f"got '{case['handshake']}'")
    if case["transport"] == "tls" and case["handshake"] == "none":
        raise InputError(f"results: {where}: transport 'tls' needs handshake 'full' or 'resumed'")
    if case["handshake"] == "full":
        for field in ("server_key", "ca_key"):
            if case[field] == "none":
                raise InputError(f"results: {where}: a full handshake needs field '{field}' "
                                 f"to name a key type, got 'none'")
    if "label" in case and case["label"] is not None and not isinstance(case["label"], str):
        raise InputError(f"results: {where}: field 'label' must be a string")


def load_results(path):
    data = load_json(path, "results")
    if not isinstance(data, dict):
        raise InputError(f"results file {path}: top level must be a JSON object")
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        raise InputError(f"results file {path}: missing required field 'cases' "
                         f"(a non-empty list)")
    seen = set()
    for i, case in enumerate(cases):
        check_case(i, case, seen)
    return data


def load_profile(path):
    data = load_json(path, "profile")
    consts = data.get("constants") if isinstance(data, dict) else None
    if not isinstance(consts, dict):
        raise InputError(f"profile file {path}: missing required object 'constants'")
    values = {}
    for name, unit in PROFILE_UNITS.items():
        c = consts.get(name)
        if not isinstance(c, dict):
            raise InputError(f"profile {path}: missing constant '{name}'")
        for field in ("value", "unit", "source", "kind"):
            if field not in c:
                raise InputError(f"profile {path}: constant '{name}' is missing field '{field}'")
        if not is_number(c["value"]) or c["value"] < 0:
            raise InputError(f"profile {path}: constant '{name}': 'value' must be a number >= 0, "
                             f"got {json.dumps(c['value'])}")
        if c["unit"] != unit:
            raise InputError(f"profile {path}: constant '{name}': unit is '{c['unit']}', "
                             f"the model expects '{unit}'")
        if not isinstance(c["source"], str) or not c["source"].strip():
            raise InputError(f"profile {path}: constant '{name}': 'source' must be a non-empty "
                             f"string")
        values[name] = float(c["value"])
    for name in ("supply_voltage", "phy_rate", "battery_capacity", "battery_usable_fraction"):
        if values[name] <= 0:
            raise InputError(f"profile {path}: constant '{name}' must be > 0")
    if values["battery_usable_fraction"] > 1:
        raise InputError(f"profile {path}: constant 'battery_usable_fraction' must be <= 1")
    return values, consts


# ---------------------------------------------------------------- the model

def pk_ops_for(case):
    """Public-key operations a case implies (documented in docs/energy-model.md)."""
    ops = {k: 0 for k in PK_OPS}
    if case["handshake"] == "full":
        ops["ecdhe_keygen"] += 1            # client's ephemeral key (ECDHE suites)
        ops["ecdh_shared"] += 1             # premaster secret
        ops[VERIFY_OP[case["server_key"]]] += 1  # ServerKeyExchange signature
        ops[VERIFY_OP[case["ca_key"]]] += 1      # server certificate's signature (by the CA)
        if case["client_cert"]:
            ops["ecdsa_sign"] += 1          # CertificateVerify with the device's P-256 key
    elif case["handshake"] == "resumed" and case.get("tls_version") == "1.3":
        # TLS 1.3 resumes with PSK + ECDHE (RFC 8446 4.2.9, psk_dhe_ke): a fresh key exchange,
        # but no certificate and so no signature.
        ops["ecdhe_keygen"] += 1
        ops["ecdh_shared"] += 1
    return ops


def model_case(case, p, rtt_s):
    """Charge (mC) and time (s) of each component of one wake, excluding deep sleep."""
    q, t = {}, {}
    t["boot"] = p["boot_time"] / 1e3
    q["boot"] = p["boot_charge_measured"] - p["board_baseline_current"] * t["boot"]
    t["wifi"] = p["wifi_connect_time"] / 1e3
    q["wifi"] = p["wifi_connect_charge_measured"] - p["board_baseline_current"] * t["wifi"]
    t["wait"] = case["round_trips"] * rtt_s
    q["wait"] = p["radio_wait_current"] * t["wait"]
    rate = p["phy_rate"] * 1e6
    t_tx = case["bytes_up"] * 8 / rate
    t_rx = case["bytes_down"] * 8 / rate
    t_frames = (case["segments_up"] + case["segments_down"]) * p["frame_overhead"] / 1e6
    t["air"] = t_tx + t_rx + t_frames
    q["air"] = (p["tx_current"] * t_tx + p["rx_current"] * t_rx
                + p["radio_wait_current"] * t_frames)
    busy_current = p["radio_wait_current"] + p["cpu_busy_extra_current"]
    ops = pk_ops_for(case)
    t["pk"] = sum(n * p[PK_OPS[op][0]] for op, n in ops.items()) / 1e3
    q["pk"] = busy_current * t["pk"]
    if case["transport"] == "tls":
        t["sym"] = (case["payload_up"] + case["payload_down"]) * p["aes_gcm_cost"] / 1e6
    else:
        t["sym"] = 0.0
    q["sym"] = busy_current * t["sym"]
    for k in q:
        if q[k] < 0:
            raise InputError(f"profile: component '{k}' comes out negative ({q[k]:.3f} mC); "
                             f"check board_baseline_current against the measured charges")
    v = p["supply_voltage"]
    e = {k: q[k] * v for k in q}           # mC x V = mJ
    res = {
        "case": case, "ops": ops, "q": q, "t": t, "e": e,
        "t_awake": sum(t.values()),
        "e_total": sum(e.values()),
        "e_session": sum(e[k] for k in SESSION_KEYS),
        "q_total": sum(q.values()),
    }
    res["sleep"] = {}
    usable_mah = p["battery_capacity"] * p["battery_usable_fraction"]
    for minutes in INTERVALS_MIN:
        interval_s = minutes * 60.0
        t_sleep = interval_s - res["t_awake"]
        if t_sleep < 0:
            raise InputError(f"case '{case['id']}': the modelled wake ({res['t_awake']:.1f} s) "
                             f"is longer than the {minutes}-minute interval")
        q_sleep = p["deep_sleep_current"] / 1e3 * t_sleep
        mean_ma = (res["q_total"] + q_sleep) / interval_s
        res["sleep"][minutes] = {
            "e_sleep": q_sleep * v,
            "mean_ma": mean_ma,
            "days": usable_mah / mean_ma / 24.0,
        }
    return res


def find_reference(results):
    for r in results:
        if r["case"]["transport"] == "plaintext":
            return r
    return None


def is_target_case(case):
    return case["handshake"] == "resumed" and case["one_flight"]


# ---------------------------------------------------------------- report

def fmt(x, nd=1):
    return f"{x:,.{nd}f}"


def ratio(a, b):
    return a / b if b > 0 else float("nan")


def fmt_ratio(x):
    return "n/a" if math.isnan(x) else f"{x:.2f}x"


def ops_text(ops):
    parts = []
    for op, n in ops.items():
        if n:
            parts.append(f"{n}x {PK_OPS[op][1]}")
    return ", ".join(parts) if parts else "none"


def ops_short(ops):
    short = {"ecdhe_keygen": "KG", "ecdh_shared": "DH", "ecdsa_verify": "EV",
             "rsa_verify": "RV", "ecdsa_sign": "ES"}
    parts = [f"{n}{short[op]}" if n > 1 else short[op] for op, n in ops.items() if n]
    return "+".join(parts) if parts else "-"


def report(data, results, p, consts, args, ref):
    out = []
    w = out.append
    rtt_ms = args.rtt_ms
    v = p["supply_voltage"]
    w("# Modelled ESP32 energy per wake cycle")
    w("")
    w("**This is a model, not a measurement of an ESP32.** MEASURED (by the wake-cycle bench on "
      "Linux, against Mosquitto): bytes and TCP segments each way, round trips, and which "
      "handshake each case did, hence which public-key operations it implies. MODELLED: "
      "everything that turns those counts into energy: radio and CPU currents, PHY rate, "
      "per-operation crypto costs on an ESP32 at 240 MHz, boot, Wi-Fi association, deep sleep "
      "(cited constants of the device profile, or assumptions marked as such; see "
      "docs/energy-model.md). x86 instruction counts are not converted into ESP32 time.")
    w("")
    w(f"- results: `{args.results}` (generated {data.get('generated', 'unknown')}, bench "
      f"one-way delay {data.get('delay_ms', 'unknown')} ms)")
    w(f"- profile: `{args.profile}`")
    w(f"- round-trip time used: {rtt_ms:g} ms (`--rtt-ms`); energies at {v:g} V; "
      f"battery: {p['battery_capacity']:g} mAh cell, {p['battery_nominal_voltage']:g} V nominal, "
      f"linear regulator (battery current = load current), "
      f"{p['battery_usable_fraction'] * 100:g}% usable (assumption)")
    w("- public-key ops: KG = ECDHE P-256 keygen, DH = ECDH shared secret, EV = ECDSA P-256 "
      "verify, RV = RSA-2048 verify, ES = ECDSA P-256 sign")
    w("")
    w("## Energy per wake (mJ), excluding deep sleep")
    w("")
    head = ["case", "handshake", "PK ops"] + [c[1] for c in COMPONENTS] + \
        ["session", "**total**", "awake (ms)"]
    w("| " + " | ".join(head) + " |")
    w("|" + "|".join(["---"] * 3 + ["---:"] * (len(head) - 3)) + "|")
    for r in results:
        c = r["case"]
        row = [f"`{c['id']}`", c["handshake"] + (" 1-flight" if c["one_flight"] else ""),
               ops_short(r["ops"])]
        row += [fmt(r["e"][k]) for k, _, _ in COMPONENTS]
        row += [fmt(r["e_session"]), f"**{fmt(r['e_total'])}**", fmt(r["t_awake"] * 1e3, 0)]
        w("| " + " | ".join(row) + " |")
    w("")
    w("`session` = RTT wait + airtime + public-key + symmetric: everything except boot and Wi-Fi "
      "association, which are the same for every case.")
    w("")
    w("## Against plaintext, and battery life")
    w("")
    if ref is None:
        w("No plaintext case in the results: ratios are n/a.")
        w("")
    else:
        w(f"Reference: `{ref['case']['id']}` (total {fmt(ref['e_total'])} mJ, session "
          f"{fmt(ref['e_session'])} mJ).")
        w("")
    head = ["case", "total mJ", "total / plaintext", "session mJ", "session / plaintext"]
    head += [f"sleep mJ ({m} min)" for m in INTERVALS_MIN]
    head += [f"battery days ({m} min)" for m in INTERVALS_MIN]
    w("| " + " | ".join(head) + " |")
    w("|---|" + "|".join(["---:"] * (len(head) - 1)) + "|")
    for r in results:
        rt = ratio(r["e_total"], ref["e_total"]) if ref else float("nan")
        rs = ratio(r["e_session"], ref["e_session"]) if ref else float("nan")
        row = [f"`{r['case']['id']}`", fmt(r["e_total"]), fmt_ratio(rt), fmt(r["e_session"]),
               fmt_ratio(rs)]
        row += [fmt(r["sleep"][m]["e_sleep"]) for m in INTERVALS_MIN]
        row += [fmt(r["sleep"][m]["days"], 0) for m in INTERVALS_MIN]
        w("| " + " | ".join(row) + " |")
    w("")
    w("Ratios compare the active wake only (deep sleep is the same for every case and would pull "
      "every ratio towards 1). Battery days include deep sleep.")
    w("")
    w("## Issue 6 target: resumed one-flight within 1.5x of plaintext (modelled)")
    w("")
    targets = [r for r in results if is_target_case(r["case"])]
    if ref is None:
        w("Cannot evaluate: no plaintext case in the results.")
    elif not targets:
        w("Cannot evaluate: no case with handshake 'resumed' and one_flight true.")
    else:
        for r in targets:
            rt = ratio(r["e_total"], ref["e_total"])
            rs = ratio(r["e_session"], ref["e_session"])
            w(f"- `{r['case']['id']}`: whole wake {fmt(r['e_total'])} vs {fmt(ref['e_total'])} mJ "
              f"= **{rt:.2f}x** ({'within' if rt <= 1.5 else 'NOT within'} 1.5x); network "
              f"session alone {fmt(r['e_session'])} vs {fmt(ref['e_session'])} mJ = "
              f"**{rs:.2f}x** ({'within' if rs <= 1.5 else 'NOT within'} 1.5x).")
        wifi_share = ref["e"]["wifi"] / ref["e_total"] if ref["e_total"] > 0 else 0
        w("")
        w(f"Read the whole-wake ratio with care: Wi-Fi association + DHCP is "
          f"{wifi_share * 100:.0f}% of the plaintext wake in this model and identical for every "
          f"case, so it pulls all whole-wake ratios towards 1. The session ratio is the one that "
          f"tells the protocols apart.")
    w("")
    w("## Measured vs modelled, per case")
    w("")
    for r in results:
        c = r["case"]
        w(f"- `{c['id']}` ({c.get('label') or c['id']}): MEASURED bytes {c['bytes_up']} up / "
          f"{c['bytes_down']} down (TLS/TCP payload {c['payload_up']} / {c['payload_down']}), "
          f"segments {c['segments_up']} / {c['segments_down']}, {c['round_trips']} round trips, "
          f"handshake '{c['handshake']}' => public-key ops: {ops_text(r['ops'])}. "
          f"MODELLED: RTT wait {r['t']['wait'] * 1e3:.0f} ms at the radio-on current, airtime "
          f"{r['t']['air'] * 1e3:.2f} ms, public-key CPU {r['t']['pk'] * 1e3:.1f} ms, "
          f"AES-GCM {r['t']['sym'] * 1e3:.2f} ms, plus boot and Wi-Fi constants. "
          + info_text(c))
    w("")
    return "\n".join(out) + "\n"


def info_text(c):
    shown = [f"{k}={c[k]}" for k in INFO_FIELDS if c.get(k) is not None]
    if not shown:
        return ""
    return "Measured but not used by the model (x86 figures): " + ", ".join(shown) + "."


# ---------------------------------------------------------------- chart

def gnuplot_script(results, svg_path, ref):
    def q(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def ratio_label(r, key):
        if ref is None or ref[key] <= 0:
            return q(f"{r[key]:.0f} mJ")
        return q(f"{r[key] / ref[key]:.2f}x")

    lines = []
    lines.append("set terminal svg size 1280,1250 dynamic noenhanced font 'Sans,11' "
                 "background rgb 'white'")
    lines.append(f"set output {q(svg_path)}")
    lines.append("$energy << EOD")
    for r in results:
        vals = " ".join(f"{r['e'][k]:.4f}" for k, _, _ in COMPONENTS)
        lines.append(f"{q(r['case']['id'])} {vals} {r['e_total']:.4f} "
                     f"{r['e_session']:.4f} {ratio_label(r, 'e_total')} "
                     f"{ratio_label(r, 'e_session')}")
    lines.append("EOD")
    lines.append("$battery << EOD")
    for r in results:
        vals = " ".join(f"{r['sleep'][m]['days']:.4f}" for m in INTERVALS_MIN)
        lines.append(f"{q(r['case']['id'])} {vals}")
    lines.append("EOD")
    colors = {"boot": "#7f7f7f", "wifi": "#bcbd22", "wait": "#1f77b4", "air": "#17becf",
              "pk": "#d62728", "sym": "#ff7f0e"}
    n = len(COMPONENTS)
    col_total, col_session, col_rt, col_rs = n + 2, n + 3, n + 4, n + 5
    ref_note = f" ({ref['case']['id']} = 1.00x)" if ref else ""
    lines += [
        "set multiplot layout 3,1 title 'mqtls: MODELLED ESP32 energy per wake "
        "(a model on measured bench counts and cited constants; see docs/energy-model.md)'",
        "set lmargin at screen 0.08",
        "set rmargin at screen 0.76",
        "set style data histograms",
        "set style histogram rowstacked",
        "set style fill solid 0.85 border rgb 'black'",
        "set boxwidth 0.7",
        "set grid ytics",
        "set key outside right top vertical",
        "set xtics rotate by -20 scale 0",
        "set yrange [0:*]",
        "set offsets 0, 0, graph 0.12, 0",
        "set ylabel 'mJ per wake'",
        f"set title 'Whole wake, excluding deep sleep; label = ratio to plaintext{ref_note}'",
    ]
    parts = []
    for i, (k, _, title) in enumerate(COMPONENTS):
        col = i + 2
        using = f"using {col}:xtic(1)" if i == 0 else f"using {col}"
        parts.append(f"'$energy' {using} title {q(title)} lc rgb {q(colors[k])}")
    parts.append(f"'$energy' using 0:{col_total}:{col_rt} with labels offset 0,0.8 notitle")
    lines.append("plot " + ", \\\n     ".join(parts))
    lines.append("set title 'Network session only (everything except boot and Wi-Fi "
                 "association); label = ratio to plaintext'")
    parts = []
    for i, (k, _, title) in enumerate(COMPONENTS):
        if k not in SESSION_KEYS:
            continue
        col = i + 2
        using = f"using {col}:xtic(1)" if not parts else f"using {col}"
        parts.append(f"'$energy' {using} title {q(title)} lc rgb {q(colors[k])}")
    parts.append(f"'$energy' using 0:{col_session}:{col_rs} with labels offset 0,0.8 notitle")
    lines.append("plot " + ", \\\n     ".join(parts))
    lines += [
        "set offsets 0, 0, 0, 0",
        "set style histogram clustered gap 1",
        "set logscale y",
        "set yrange [*:*]",
        "set ylabel 'days'",
        "set title 'Battery life, 2000 mAh derated, at 1, 10 and 60 minute wake intervals "
        "(log scale)'",
    ]
    bcolors = ["#9467bd", "#2ca02c", "#8c564b"]
    parts = []
    for i, m in enumerate(INTERVALS_MIN):
        using = f"using {i + 2}:xtic(1)" if i == 0 else f"using {i + 2}"
        parts.append(f"'$battery' {using} title {q(f'every {m} min')} lc rgb {q(bcolors[i])}")
    lines.append("plot " + ", \\\n     ".join(parts))
    lines.append("unset multiplot")
    lines.append("set output")
    return "\n".join(lines) + "\n"


def write_chart(results, svg_path, ref):
    exe = shutil.which("gnuplot")
    if exe is None:
        return ("gnuplot is not installed, so the chart was not drawn (the markdown was "
                "written). Install it with: apt-get install -y gnuplot-nox")
    script = gnuplot_script(results, svg_path, ref)
    try:
        proc = subprocess.run([exe], input=script, text=True, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"running gnuplot failed: {e}"
    if proc.returncode != 0 or not os.path.exists(svg_path):
        msg = (proc.stderr or "").strip().splitlines()
        return ("gnuplot failed (exit " + str(proc.returncode) + "): "
                + (" | ".join(msg[-5:]) if msg else "no message"))
    return None


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Energy MODEL of an ESP32 wake cycle from the wake-cycle bench's "
                    "measured counts and a cited device profile (docs/energy-model.md).",
        epilog="Exit status: 0 ok; 2 bad input; 3 markdown written but no chart "
               "(gnuplot missing or failed).")
    ap.add_argument("results", help="results JSON written by the wake-cycle bench")
    ap.add_argument("--profile", default=DEFAULT_PROFILE,
                    help="device profile JSON (default: %(default)s)")
    ap.add_argument("--rtt-ms", type=float, default=100.0,
                    help="round-trip time to the broker in ms (default: %(default)s, i.e. 50 ms "
                         "one way as in the bench)")
    ap.add_argument("--out-dir", default=None,
                    help="where to write energy.md and energy.svg (default: the results "
                         "file's directory)")
    args = ap.parse_args(argv)
    if not math.isfinite(args.rtt_ms) or args.rtt_ms < 0:
        ap.error("--rtt-ms must be a number >= 0")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        data = load_results(args.results)
        p, consts = load_profile(args.profile)
        results = [model_case(c, p, args.rtt_ms / 1e3) for c in data["cases"]]
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    ref = find_reference(results)
    md = report(data, results, p, consts, args, ref)
    sys.stdout.write(md)
    sys.stdout.flush()
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.results))
    try:
        os.makedirs(out_dir, exist_ok=True)
        md_path = os.path.join(out_dir, "energy.md")
        with open(md_path, "w", encoding="utf-8") as f:
            f.write(md)
    except OSError as e:
        print(f"{PROG}: error: cannot write to {out_dir}: {e.strerror or e}", file=sys.stderr)
        return 2
    svg_path = os.path.join(out_dir, "energy.svg")
    err = write_chart(results, svg_path, ref)
    if err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        print(f"{PROG}: wrote {md_path}", file=sys.stderr)
        return 3
    print(f"{PROG}: wrote {md_path} and {svg_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
