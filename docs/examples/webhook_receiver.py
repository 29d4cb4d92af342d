#!/usr/bin/env python3
"""A tiny receiver of PartnerGraph webhooks, for trying them on one machine (Python 3, stdlib).

It listens on 127.0.0.1, checks each delivery's Standard Webhooks signature (`webhook-id`,
`webhook-timestamp`, `webhook-signature`) against the endpoint's secret over the raw body
(docs/integrators.md, "Webhooks"), answers 200 to a verified delivery
and 401 to anything else, and prints one line per delivery:

    verified conversion.attributed evt_1f0c... (delivery V2ViaG9va0RlbGl2ZXJ5OjE)
    REJECTED: bad signature

    python3 docs/examples/webhook_receiver.py --port 9000 --secret whsec_...
    python3 docs/examples/webhook_receiver.py --port 9000 --secret whsec_... --count 1

With `--count N` it exits (status 0) after N verified deliveries.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE_SECONDS = 300


def verify(secret: str, headers, body: bytes, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """`webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with
    the base64-decoded part of the secret after `whsec_`, and a recent `webhook-timestamp`."""
    msg_id = headers.get("webhook-id", "")
    t = headers.get("webhook-timestamp", "")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError:
        return False
    if not msg_id or not t.isdigit() or abs(time.time() - int(t)) > tolerance:
        return False
    signed = f"{msg_id}.{t}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in headers.get("webhook-signature", "").split(" ")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_... secret")
    parser.add_argument("--count", type=int, default=0, help="exit after this many (0: never)")
    args = parser.parse_args()
    verified = 0

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the stdlib's name)
            nonlocal verified
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not verify(args.secret, self.headers, body):
                print("REJECTED: bad signature", flush=True)
                self.send_response(401)
                self.end_headers()
                return
            event = json.loads(body)
            delivery = self.headers.get("webhook-id", "?")
            print(f"verified {event['type']} {event['id']} (delivery {delivery})", flush=True)
            self.send_response(200)
            self.end_headers()
            verified += 1

        def log_message(self, *_):
            pass

    server = HTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on http://127.0.0.1:{args.port}/", flush=True)
    while args.count == 0 or verified < args.count:
        server.handle_request()
    return 0


if __name__ == "__main__":
    sys.exit(main())
