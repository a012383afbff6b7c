#!/usr/bin/env python3
"""A recording TCP proxy for EPMD, used by fuzz/record-epmd-seeds.sh.

    epmd_proxy.py LISTEN_PORT EPMD_PORT OUT_DIR

Listens on 127.0.0.1:LISTEN_PORT and forwards each connection to the real epmd on
127.0.0.1:EPMD_PORT, byte for byte. When a connection ends it writes what the client
sent to OUT_DIR/epmd_server/ (the epmd_server target's input: one connection's
request) and, for the requests EpmdClient makes (ALIVE2_REQ, PORT_PLEASE2_REQ,
NAMES_REQ), a selector byte (0 register, 1 port_please, 2 names) followed by what
epmd answered to OUT_DIR/epmd_client/. Files are named by the SHA-1 of their
content (16 hex digits), so a repeated exchange is kept once. It prints one line per
connection and runs until killed.
"""

import asyncio
import hashlib
import os
import sys

SELECTOR = {ord("x"): 0, ord("z"): 1, ord("n"): 2}


def save(folder, data):
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)
    return name


async def pump(reader, writer, log):
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            log.extend(chunk)
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def handle(client_r, client_w, epmd_port, out):
    epmd_r, epmd_w = await asyncio.open_connection("127.0.0.1", epmd_port)
    sent, answered = bytearray(), bytearray()
    await asyncio.gather(
        pump(client_r, epmd_w, sent), pump(epmd_r, client_w, answered)
    )
    client_w.close()
    epmd_w.close()
    if not sent:
        return
    server_seed = save(os.path.join(out, "epmd_server"), bytes(sent))
    tag = sent[2] if len(sent) > 2 else None
    line = f"request {chr(tag) if tag else '?'} ({len(sent)} bytes) -> epmd_server/{server_seed}"
    if tag in SELECTOR and answered:
        client_seed = save(
            os.path.join(out, "epmd_client"), bytes([SELECTOR[tag]]) + bytes(answered)
        )
        line += f"; reply ({len(answered)} bytes) -> epmd_client/{client_seed}"
    print(line, flush=True)


async def main():
    listen_port, epmd_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, epmd_port, out), "127.0.0.1", listen_port
    )
    async with server:
        await server.serve_forever()


asyncio.run(main())
