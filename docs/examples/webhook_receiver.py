#!/usr/bin/env python3
"""A tiny receiver of PartnerGraph webhooks, for trying them on one machine (Python 3, stdlib).

It listens on 127.0.0.1, checks each delivery's `PartnerGraph-Signature` against the endpoint's
secret over the raw body (docs/integrators.md, "Webhooks"), answers 200 to a verified delivery
and 401 to anything else, and prints one line per delivery:

    verified conversion.attributed evt_1f0c... (delivery V2ViaG9va0RlbGl2ZXJ5OjE)
    REJECTED: bad signature

    python3 docs/examples/webhook_receiver.py --port 9000 --secret whsec_...
    python3 docs/examples/webhook_receiver.py --port 9000 --secret whsec_... --count 1

With `--count N` it exits (status 0) after N verified deliveries.
"""

import argparse
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE_SECONDS = 300


def verify(secret: str, header: str, body: bytes, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`, recent."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
    except ValueError:
        return False
    t = parts.get("t", "")
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return (
        t.isdigit()
        and abs(time.time() - int(t)) <= tolerance
        and hmac.compare_digest(expected, parts.get("v1", ""))
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
            signature = self.headers.get("PartnerGraph-Signature", "")
            if not verify(args.secret, signature, body):
                print("REJECTED: bad signature", flush=True)
                self.send_response(401)
                self.end_headers()
                return
            event = json.loads(body)
            delivery = self.headers.get("PartnerGraph-Delivery", "?")
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
