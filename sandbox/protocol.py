"""The wire protocol between a backend and the runner inside the jail, and the output caps.

One request goes in on stdin as JSON. The user's prints come back on stdout/stderr unchanged,
then the runner writes a line "\\n<marker>\\n" followed by the JSON result and exits. The marker
is random per run, so ordinary output cannot contain it by accident. Both backends speak exactly
this, which is why one outcome classifier (outcome.py) serves them all.

Output is collected under caps while it streams: the first `max_*_bytes` are kept, the rest is
counted and dropped (never buffered), and the stdout collector also keeps a bounded tail so that
the result after the marker survives 100 MB of prints before it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from .limits import Limits

MARKER_PREFIX = "zzyra-sandbox-result-"
# Room for the result envelope around the user's output: the runner clips message and
# traceback to 64 Ki characters each (up to 4 bytes each in UTF-8).
ENVELOPE_BYTES = 640 * 1024


def new_marker() -> str:
    return MARKER_PREFIX + secrets.token_hex(16)


def encode_request(*, code: str, input: Any, marker: str, limits: Limits) -> bytes:
    return json.dumps(
        {
            "code": code,
            "input": input,
            "marker": marker,
            "max_output_bytes": limits.max_output_bytes,
        },
        ensure_ascii=False,
    ).encode("utf-8")


class CappedStream:
    """Keeps the first `cap` bytes of a stream and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.total = 0
        self._head = bytearray()

    def feed(self, chunk: bytes) -> None:
        room = self.cap - len(self._head)
        if room > 0:
            self._head += chunk[:room]
        self.total += len(chunk)

    def text(self, name: str, *, length: int | None = None) -> tuple[str, bool]:
        """The kept text (of the first `length` bytes) and whether anything was dropped."""
        length = self.total if length is None else min(length, self.total)
        kept = bytes(self._head[:length])
        text = kept.decode("utf-8", "replace")
        if length <= len(kept):
            return text, False
        dropped = length - len(kept)
        note = (
            f"\n[zzyra: {name} truncated: {dropped} of {length} bytes not shown; "
            f"the limit is {self.cap} bytes]\n"
        )
        return text + note, True


class ResultStream(CappedStream):
    """Stdout: the user's capped prints, plus a bounded tail that holds the runner's result."""

    def __init__(self, cap: int, *, marker: str, max_output_bytes: int) -> None:
        super().__init__(cap)
        self._frame = b"\n" + marker.encode() + b"\n"
        self._tail_cap = max_output_bytes + ENVELOPE_BYTES + len(self._frame)
        self._tail = bytearray()

    def feed(self, chunk: bytes) -> None:
        super().feed(chunk)
        self._tail += chunk
        excess = len(self._tail) - self._tail_cap
        if excess > 0:
            del self._tail[:excess]

    def split(self) -> tuple[int, bytes | None]:
        """(length of the user's stdout, raw result bytes or None when no result was framed)."""
        index = self._tail.rfind(self._frame)
        if index < 0:
            return self.total, None
        start_of_tail = self.total - len(self._tail)
        return start_of_tail + index, bytes(self._tail[index + len(self._frame) :])


@dataclass(frozen=True)
class RunnerReport:
    """What the runner said, already decoded."""

    status: str  # "ok" or "error"
    output: Any = None
    kind: str | None = None
    message: str = ""
    exception_type: str = ""
    traceback: str = ""


def decode_report(raw: bytes) -> RunnerReport | None:
    """The runner's result, or None when it is missing or unreadable."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("status") not in ("ok", "error"):
        return None
    if data["status"] == "ok":
        return RunnerReport(status="ok", output=data.get("output"))
    return RunnerReport(
        status="error",
        kind=str(data.get("kind") or "crashed"),
        message=str(data.get("message") or ""),
        exception_type=str(data.get("exception_type") or ""),
        traceback=str(data.get("traceback") or ""),
    )
