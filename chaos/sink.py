"""An idempotent HTTP receiver that behaves like a payment API and records every request.

A real payment API applies a request once per Idempotency-Key and answers a repeat of the key
with the stored response. That is what makes an at-least-once engine safe, so the sink does the
same: the first request with a key applies its effect, a repeat is replayed (counted, not
applied). Repeats are expected: a worker killed after the request but before the outcome was
recorded sends the same request again on the next attempt.

Keying on the header alone would make duplicates impossible by construction, and a real bug
(a key that changes between attempts, or no key at all) would go unnoticed. So each request
body also names the logical operation (`{"operation": "<run>/<node>"}`, rendered by the
workflow) and the sink counts how many times each operation was applied: an operation applied
twice is a duplicate side effect, however its keys looked.

After applying an effect the sink waits a random moment before answering, which widens the
window in which a SIGKILL lands between "effect applied" and "outcome recorded".
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict


class SinkFigures(TypedDict):
    requests: int
    applied_effects: int
    replayed_requests: int
    keys_replayed: int
    duplicate_side_effects: int
    duplicate_operations: list[str]
    requests_without_key: int


@dataclass
class IdempotentSink:
    """The sink's state; `serve()` puts it on a port, `figures()` sums it up."""

    reply_delay_max_seconds: float = 0.2
    requests: int = 0
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    received_by_key: Counter[str] = field(default_factory=Counter)
    applied_by_operation: Counter[str] = field(default_factory=Counter)
    requests_without_key: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def handle(self, key: str | None, body: Any) -> dict[str, Any]:
        """Apply once per key; replay the stored response for a repeated key."""
        operation = str(body.get("operation")) if isinstance(body, dict) else "<no operation>"
        with self._lock:  # one at a time, as a payment API locks a key while it applies it
            self.requests += 1
            if key is None:
                self.requests_without_key += 1
            else:
                self.received_by_key[key] += 1
                stored = self.responses.get(key)
                if stored is not None:
                    return {**stored, "replayed": True}
            self.applied_by_operation[operation] += 1
            response = {
                "applied": True,
                "operation": operation,
                "effect": sum(self.applied_by_operation.values()),
            }
            if key is not None:
                self.responses[key] = response
            return response

    def applied_operations(self) -> set[str]:
        with self._lock:
            return set(self.applied_by_operation)

    def figures(self) -> SinkFigures:
        with self._lock:
            duplicates = {op: n for op, n in self.applied_by_operation.items() if n > 1}
            return {
                "requests": self.requests,
                "applied_effects": sum(self.applied_by_operation.values()),
                "replayed_requests": sum(n - 1 for n in self.received_by_key.values()),
                "keys_replayed": sum(1 for n in self.received_by_key.values() if n > 1),
                "duplicate_side_effects": sum(n - 1 for n in duplicates.values()),
                "duplicate_operations": sorted(duplicates)[:20],
                "requests_without_key": self.requests_without_key,
            }

    def serve(self) -> None:
        server = _QuietServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        server.request_queue_size = 256
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, name="chaos-sink", daemon=True).start()

    def shutdown(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-request (the point of the exercise) resets its socket: not news.
        pass


def _handler(sink: IdempotentSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the node's pooled client reuses sockets

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = None
            if len(raw) < length or not isinstance(body, dict):
                # A request cut off mid-body (its sender was killed while writing it) is
                # refused and not remembered under its key, as a real idempotent API would:
                # the retry with the same key then applies the real operation.
                self._reply(400, {"error": "incomplete or malformed request body"})
                return
            response = sink.handle(self.headers.get("Idempotency-Key"), body)
            if sink.reply_delay_max_seconds > 0:
                time.sleep(random.uniform(0, sink.reply_delay_max_seconds))
            self._reply(200, response)

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
