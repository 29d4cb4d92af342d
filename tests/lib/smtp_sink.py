#!/usr/bin/env python3
"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1:PORT that accepts every message and
writes each one, parsed, as a JSON file into DIR (a recipient whose address starts with
"bounce" is refused with 550) (written to a temporary name, then renamed, so
a reader never sees half a file). Prints "READY" once it listens; runs until killed.

    python3 tests/lib/smtp_sink.py PORT DIR

Each file: {"mail_from", "rcpt_tos", "from", "to", "subject", "text", "html"}.
"""

import email
import json
import os
import signal
import sys
import time
from email import policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist, for the tests of permanent failures.
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        plain = message.get_body(("plain",))
        html = message.get_body(("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "text": plain.get_content() if plain is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        self.count += 1
        name = f"{time.time_ns()}-{os.getpid()}-{self.count:05}.json"
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 Message accepted"


def main():
    port = int(sys.argv[1])
    directory = sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)
    stop = lambda *_: (controller.stop(), sys.exit(0))
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
