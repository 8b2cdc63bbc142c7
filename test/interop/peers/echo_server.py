"""An echo server on Python websockets 10.4, for wsdriver's interop tests.

Usage: /usr/bin/python3 echo_server.py

Listens on 127.0.0.1, port 0, and prints {"port": N} on the first line of
stdout. Every message is sent back as it came, except the text message
"close CODE REASON", which makes the server close with that code and
reason. When a connection ends it prints
{"closed": CODE, "reason": REASON} with what websockets reports.
"""
import asyncio
import json

import websockets


def report(value):
    print(json.dumps(value), flush=True)


async def echo(websocket):
    try:
        async for message in websocket:
            if isinstance(message, str) and message.startswith("close "):
                _, code, reason = message.split(" ", 2)
                await websocket.close(int(code), reason)
                break
            await websocket.send(message)
    except websockets.ConnectionClosed:
        pass
    await websocket.wait_closed()
    report({"closed": websocket.close_code, "reason": websocket.close_reason})


async def main():
    async with websockets.serve(
        echo, "127.0.0.1", 0, max_size=None, ping_interval=None, subprotocols=["chat"], compression=None
    ) as server:
        report({"port": server.sockets[0].getsockname()[1]})
        await asyncio.Future()  # until the test kills the process


asyncio.run(main())
