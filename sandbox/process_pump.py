"""Feeds a child's stdin and drains its stdout/stderr under a deadline, without threads.

Draining continues while the child prints 100 MB (the collectors drop what is over the cap),
so a chatty jail can never block on a full pipe and hang the worker. When the deadline passes,
`on_deadline` kills the jail and draining goes on briefly so the pipes reach EOF.
"""

from __future__ import annotations

import os
import selectors
import time
from collections.abc import Callable
from typing import Protocol

READ_CHUNK = 256 * 1024
DRAIN_GRACE_SECONDS = 2.0


class Sink(Protocol):
    def feed(self, chunk: bytes) -> None: ...


def pump(
    *,
    stdin_fd: int,
    close_stdin: Callable[[], None],
    stdin_data: bytes,
    outputs: dict[int, Sink],
    deadline: float,
    on_deadline: Callable[[], None],
) -> bool:
    """Run until every output reaches EOF. Returns True when the deadline struck. Stdin is
    closed with `close_stdin` (its owner's close, so the descriptor is closed exactly once)."""
    selector = selectors.DefaultSelector()
    os.set_blocking(stdin_fd, False)
    selector.register(stdin_fd, selectors.EVENT_WRITE)
    for fd in outputs:
        selector.register(fd, selectors.EVENT_READ)
    open_outputs = set(outputs)
    pending = memoryview(stdin_data)
    timed_out = False
    hard_stop: float | None = None
    try:
        while open_outputs:
            now = time.monotonic()
            if not timed_out and now >= deadline:
                timed_out = True
                on_deadline()
                hard_stop = now + DRAIN_GRACE_SECONDS
            if hard_stop is not None and now >= hard_stop:
                break
            wait = (hard_stop if hard_stop is not None else deadline) - now
            for key, _ in selector.select(timeout=max(0.0, wait)):
                fd = int(key.fd)
                if fd == stdin_fd:
                    pending = _write_some(fd, pending)
                    if not pending:
                        selector.unregister(fd)
                        close_stdin()
                    continue
                chunk = _read_some(fd)
                if chunk is None:
                    continue
                if chunk:
                    outputs[fd].feed(chunk)
                else:
                    selector.unregister(fd)
                    open_outputs.discard(fd)
    finally:
        for key in list(selector.get_map().values()):
            if int(key.fd) == stdin_fd:
                close_stdin()
        selector.close()
    return timed_out


def _write_some(fd: int, pending: memoryview) -> memoryview:
    try:
        written = os.write(fd, pending[:READ_CHUNK])
    except BlockingIOError:
        return pending
    except (BrokenPipeError, OSError):
        return pending[:0]  # the child closed stdin early; nothing more to send
    return pending[written:]


def _read_some(fd: int) -> bytes | None:
    try:
        return os.read(fd, READ_CHUNK)
    except BlockingIOError:
        return None
    except OSError:
        return b""
