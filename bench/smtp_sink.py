"""A local SMTP sink for bench/newsletter.sh (aiosmtpd, from PyPI): accepts every message and
appends one line per recipient, "<unix ms> <recipient>", to the file given, flushed at once.

Usage: python smtp_sink.py PORT OUTFILE
"""
import asyncio
import sys
import time

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        now = int(time.time() * 1000)
        for rcpt in envelope.rcpt_tos:
            self.out.write(f"{now} {rcpt}\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
