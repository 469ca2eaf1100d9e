#!/usr/bin/python3
"""An SMTP server for tests/unit/test_deliver.c: aiosmtpd (the real
protocol implementation, python3-aiosmtpd) with a handler that stores
every message's envelope and content as one JSON line.

  deliver_smtp.py --log FILE

Recipients starting with "reject" get 550 (permanent), with "later" 451
(transient), so that the client's handling of both can be seen. The bound
port (127.0.0.1, chosen by the kernel) is printed on stdout's first line.
"""
import argparse
import asyncio
import json
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, log):
        self.log = log

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        if address.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.log.write(json.dumps({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "replace"),
        }) + "\n")
        self.log.flush()
        return "250 Message accepted for delivery"


async def serve(args):
    handler = Handler(open(args.log, "a"))
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await srv.serve_forever()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
