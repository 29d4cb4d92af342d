#!/usr/bin/env python3
"""Subscribes over GET /graphql/ws (graphql-transport-ws) and prints each event as a JSON line.

Python 3 only, no packages: a minimal WebSocket client (RFC 6455) is below. The credential goes
in `connection_init`, as docs/integrators.md#subscriptions says.

    python3 docs/examples/subscribe.py --url http://127.0.0.1:8080 --token ACCESS_TOKEN \
        [--count N] [--timeout SECONDS] 'subscription { conversionRecorded { externalId } }'

Prints `# subscribed` on standard error once the server has the subscription, then one line
per event; exits 0 after --count events (default: run until interrupted), 1 on an error or a
closed connection, 2 when no message comes for --timeout seconds.
"""

import argparse
import base64
import json
import os
import socket
import ssl
import struct
import sys
import urllib.parse


class WebSocket:
    """Just enough of a client: one text message at a time, pings answered."""

    def __init__(self, url, protocol, timeout):
        parts = urllib.parse.urlsplit(url)
        secure = parts.scheme in ("https", "wss")
        port = parts.port or (443 if secure else 80)
        sock = socket.create_connection((parts.hostname, port), timeout=timeout)
        if secure:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        self.sock = sock
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
        )
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1)
            if not chunk:
                raise ConnectionError("connection closed during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            raise ConnectionError(f"no WebSocket upgrade: {status}")

    def _exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("connection closed")
            data += chunk
        return data

    def _frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)  # clients mask every frame
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, message):
        self._frame(0x1, json.dumps(message).encode())

    def receive(self):
        while True:
            first, second = self._exactly(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._exactly(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._exactly(8))[0]
            payload = self._exactly(length)
            if opcode == 0x9:  # ping
                self._frame(0xA, payload)
            elif opcode == 0x8:  # close: code and reason
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise ConnectionError(f"closed {code} {payload[2:].decode(errors='replace')}")
            elif opcode == 0x1:
                return json.loads(payload)

    def close(self):
        try:
            self._frame(0x8, struct.pack("!H", 1000))
        finally:
            self.sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("query")
    parser.add_argument("--url", default=os.environ.get("PG", "http://127.0.0.1:8080"))
    parser.add_argument("--token", required=True, help="access token or API key")
    parser.add_argument("--count", type=int, default=0, help="stop after this many events")
    parser.add_argument("--timeout", type=float, default=None, help="give up when no message comes for this long")
    args = parser.parse_args()

    ws_url = args.url.rstrip("/") + "/graphql/ws"
    try:
        ws = WebSocket(ws_url, "graphql-transport-ws", args.timeout)
        ws.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {args.token}"}})
        if ws.receive().get("type") != "connection_ack":
            raise ConnectionError("connection_init not acknowledged")
        ws.send({"id": "1", "type": "subscribe", "payload": {"query": args.query}})
        print("# subscribed", file=sys.stderr, flush=True)
        received = 0
        while not args.count or received < args.count:
            message = ws.receive()
            kind = message.get("type")
            if kind == "ping":
                ws.send({"type": "pong"})
            elif kind == "next":
                print(json.dumps(message["payload"]), flush=True)
                if message["payload"].get("errors"):
                    return 1
                received += 1
            elif kind in ("error", "complete"):
                print(json.dumps(message), flush=True)
                return 1
        ws.send({"id": "1", "type": "complete"})
        ws.close()
        return 0
    except socket.timeout:
        print(f"no event within {args.timeout} s", file=sys.stderr)
        return 2
    except ConnectionError as err:
        print(f"subscription failed: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
