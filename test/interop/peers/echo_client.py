"""An echo client on Python websockets 10.4, for wsdriver's interop tests.

Usage: /usr/bin/python3 echo_client.py URL

Connects to URL offering the subprotocol "chat" and prints
{"open": true, "subprotocol": ...}. Every message is sent back as it came,
except the text message "close CODE REASON", which makes the client close
with that code and reason. When the connection ends it prints
{"closed": CODE, "reason": REASON} with what websockets reports, and exits.
"""
import asyncio
import json
import sys

import websockets


def report(value):
    print(json.dumps(value), flush=True)


async def main(url):
    async with websockets.connect(
        url, max_size=None, ping_interval=None, subprotocols=["chat"], compression=None
    ) as websocket:
        report({"open": True, "subprotocol": websocket.subprotocol})
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


asyncio.run(main(sys.argv[1]))
