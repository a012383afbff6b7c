#!/usr/bin/env python3
"""Generates the seeds of the decode, parse, dist_frames and handshake fuzz targets.

decode and parse: one file per term of the Erlang-made fixtures
(crates/tether-term/tests/fixtures/terms.bin, written by scripts/term-fixtures.sh
with erl's term_to_binary and ~tw: every external-format form, its minor-version
and compressed variants, and the printed text). dist_frames: three frame sequences
(a pass-through REG_SEND, two messages after distribution headers with the atom
cache, one message in two fragments). handshake: a version-6 send_name.

    fuzz/make-seeds.py [OUT]     # OUT defaults to fuzz/corpus; one folder per target

The committed fuzz/seeds/decode and fuzz/seeds/parse are this script's output
(`fuzz/make-seeds.py fuzz/seeds`, then the dist_frames and handshake folders there
keep erl's recorded traffic as well).
"""
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus"
import os, struct
data = open("crates/tether-term/tests/fixtures/terms.bin", "rb").read()
pos, i = 8, 0
os.makedirs(f"{out}/decode", exist_ok=True)
while pos < len(data):
    fields = []
    for _ in range(5):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        fields.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    for j, f in enumerate(fields[1:4]):
        if len(f) < 4096:
            open(f"{out}/decode/fixture-{i}-{j}", "wb").write(f)
    if len(fields[4]) < 4096:
        os.makedirs(f"{out}/parse", exist_ok=True)
        open(f"{out}/parse/fixture-{i}", "wb").write(fields[4])
    i += 1

# Frame sequences for dist_frames (Length:16/big, Bytes each): a pass-through
# REG_SEND, the same message twice after distribution headers (the second header
# refers to the atoms the first defined), and the message in two fragments.
def atom(s):
    return bytes([119, len(s)]) + s
def pid(node):
    return bytes([88]) + node + struct.pack(">III", 1, 0, 3)
def frames(*fs):
    return b"".join(struct.pack(">H", len(f)) + f for f in fs)
ctrl = bytes([104, 4, 97, 6]) + pid(atom(b"a@b")) + atom(b"") + atom(b"echo")
plain = bytes([112, 131]) + ctrl + bytes([131]) + atom(b"hi")
# Two references: a@b (new, segment 0, slot 1) and echo (new, slot 2).
defining = bytes([2, 0x88, 0x00, 1, 3]) + b"a@b" + bytes([2, 4]) + b"echo"
using = bytes([2, 0x00, 0x00, 1, 2])
cached = bytes([104, 4, 97, 6]) + pid(bytes([82, 0])) + atom(b"") + bytes([82, 1, 82, 1])
seq = struct.pack(">Q", 7)
first = bytes([131, 69]) + seq + struct.pack(">Q", 2) + defining + cached[:9]
rest = bytes([131, 70]) + seq + struct.pack(">Q", 1) + cached[9:]
os.makedirs(f"{out}/dist_frames", exist_ok=True)
for name, data in [
    ("pass-through", frames(plain)),
    ("headers", frames(bytes([131, 68]) + defining + cached, bytes([131, 68]) + using + cached)),
    ("fragments", frames(first, rest)),
]:
    open(f"{out}/dist_frames/seed-{name}", "wb").write(data)
# A send_name (version 6) for the acceptor side of the handshake target.
name = b"seed@host"
send_name = bytes([ord("N")]) + struct.pack(">QIH", 0x3_0100_0d9f_fdf4, 9, len(name)) + name
os.makedirs(f"{out}/handshake", exist_ok=True)
open(f"{out}/handshake/seed-send-name", "wb").write(b"\x00" + struct.pack(">H", len(send_name)) + send_name)