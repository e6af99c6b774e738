"""A local HTTP server that records every request, for side-effect tests.

Routes: `/ok`, `/flaky/<name>?fail=N` (503 for the first N calls of that name, then 200),
`/slow?seconds=S`, `/status/<code>`. Each request is recorded with its Idempotency-Key.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    idempotency_key: str | None
    body: Any


class HttpSink:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.url = ""

    def keys_for(self, path_prefix: str) -> list[str | None]:
        with self.lock:
            return [r.idempotency_key for r in self.requests if r.path.startswith(path_prefix)]


def _handler(sink: HttpSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            with sink.lock:
                sink.requests.append(
                    Recorded(self.command, parts.path, self.headers.get("Idempotency-Key"), body)
                )
                sink.calls[parts.path] += 1
                calls = sink.calls[parts.path]
            if parts.path.startswith("/flaky/") and calls <= int(query.get("fail", "0")):
                self._reply(503, {"error": "try again", "call": calls})
            elif parts.path.startswith("/status/"):
                self._reply(int(parts.path.rsplit("/", 1)[1]), {"call": calls})
            else:
                if parts.path == "/slow":
                    time.sleep(float(query.get("seconds", "1")))
                self._reply(200, {"ok": True, "call": calls, "echo": body})

        def _reply(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    return Handler


@contextmanager
def running_sink() -> Iterator[HttpSink]:
    sink = HttpSink()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sink))
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
