#!/usr/bin/env python3
"""Worst-case stack of the link::Connection pump (docs/design.md, "link: the portable pump").

Compiles link/src/connection.cpp and mqtt/src/*.cpp for Cortex-M4 (-Os, as the embedded build)
with GCC's -fstack-usage -fcallgraph-info=su, then walks the static call graph from every public
Connection function and prints the deepest chain of frames.
    scripts/link-stack-usage.py [--cxx arm-none-eabi-g++] [--build build/asan]
Indirect calls are not followed: the SecureChannel, ByteStream, EventHandler and Condition the
caller plugs in (their stack adds at the call site), and std::visit's tables in the codec (their
targets are bounded by the largest mqtt frame, which is printed too).
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", "--specs=picolibcpp.specs", "-Os",
         "-std=c++17", "-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics",
         "-fstack-usage", "-fcallgraph-info=su"]


def compile_all(cxx, build, out):
    includes = ["link/include", "core/include", os.path.join(build, "core/include"),
                "mqtt/include", "mqtt/src", "tls/include"]
    include_flags = ["-I" + os.path.join(ROOT, i) for i in includes]
    sources = [os.path.join(ROOT, "link/src/connection.cpp")] + sorted(
        glob.glob(os.path.join(ROOT, "mqtt/src/*.cpp")))
    for source in sources:
        obj = os.path.join(out, os.path.basename(source) + ".o")
        subprocess.run([cxx] + FLAGS + include_flags + ["-c", source, "-o", obj], check=True,
                       cwd=out)
    return glob.glob(os.path.join(out, "*.ci"))


def read_graph(files):
    nodes, edges = {}, {}
    for name in files:
        text = open(name).read()
        for m in re.finditer(r'node: \{ title: "([^"]+)" label: "([^"]*)"', text):
            key = m.group(1).split(":")[-1]
            frame = re.search(r"(\d+) bytes \((\w+)", m.group(2))
            label = m.group(2).split("\\n")[0]
            if frame or key not in nodes:
                nodes[key] = (int(frame.group(1)) if frame else 0, label,
                              frame.group(2) if frame else None)
        for m in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', text):
            edges.setdefault(m.group(1).split(":")[-1], set()).add(m.group(2).split(":")[-1])
    return nodes, edges


def deepest(nodes, edges):
    memo = {}

    def walk(node, seen):
        if node in memo:
            return memo[node]
        if node in seen:
            sys.exit("recursion through " + nodes[node][1])
        best = (0, [])
        for callee in edges.get(node, ()):
            candidate = walk(callee, seen | {node})
            if candidate[0] > best[0]:
                best = candidate
        frame, label, _ = nodes.get(node, (0, node, None))
        memo[node] = (frame + best[0], ["%5d  %s" % (frame, label[:100])] + best[1])
        return memo[node]

    entries = [k for k, v in nodes.items() if "mqtls::link::Connection::" in v[1]
               and "lambda" not in v[1] and "{anonymous}" not in v[1]]
    return max((walk(k, frozenset()) for k in entries), key=lambda r: r[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cxx", default="arm-none-eabi-g++", help="a Cortex-M compiler")
    parser.add_argument("--build", default=os.path.join(ROOT, "build/asan"),
                        help="a configured build tree (for the generated version.hpp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        nodes, edges = read_graph(compile_all(args.cxx, args.build, out))
    dynamic = [v[1] for v in nodes.values() if v[2] not in (None, "static")]
    if dynamic:
        sys.exit("frames of dynamic size: " + ", ".join(dynamic))
    total, chain = deepest(nodes, edges)
    largest_mqtt = max(v[0] for v in nodes.values() if "mqtls::mqtt::" in v[1])
    print("deepest static chain from a link::Connection call (%s, -Os): %d bytes" %
          (args.cxx, total))
    for line in chain:
        print("  " + line)
    print("largest single mqtt frame (bounds a std::visit target): %d bytes" % largest_mqtt)


if __name__ == "__main__":
    main()
