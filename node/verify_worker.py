"""A signature-checking worker process: `python -m node.verify_worker`.

It reads requests from stdin and writes verdicts to stdout, each framed as a
4-byte big-endian length and a body. A request is a msgpack array of
[public key, payload, signature] triples; the answer has one byte per triple,
1 if the signature verifies. When its parent exits, for whatever reason, stdin
closes and the worker exits too: it can never outlive the node.
"""

from __future__ import annotations

import sys
from typing import BinaryIO

import msgpack

from crypto.ed25519 import verify

MAX_REQUEST = 64 * 1024 * 1024


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    while True:
        header = _read_exactly(stdin, 4)
        if header is None:
            return
        size = int.from_bytes(header, "big")
        if size > MAX_REQUEST:
            return
        body = _read_exactly(stdin, size)
        if body is None:
            return
        triples = msgpack.unpackb(body, use_list=False)
        verdicts = bytes(verify(k, p, s) for k, p, s in triples)
        stdout.write(len(verdicts).to_bytes(4, "big") + verdicts)
        stdout.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
