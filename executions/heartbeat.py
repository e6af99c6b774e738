"""Leases for running nodes: one heartbeat thread per worker process.

Every node a process is running is registered here. A daemon thread refreshes all their
heartbeats with one UPDATE every ZZYRA_HEARTBEAT_INTERVAL_SECONDS (not one UPDATE per node), so
a node running far longer than the interval keeps its lease, and a node whose process died
stops heartbeating and is taken back by the sweeper after its stale limit. The same thread
checks, once per ZZYRA_CANCEL_POLL_SECONDS, whether any of those nodes' executions were
cancelled, and sets the node's `cancelled` event so its run can abort.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from database.roles import maintenance_role
from executions import sqlfile

logger = logging.getLogger("zzyra.heartbeat")


class _Leases:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, threading.Event] = {}
        self._thread: threading.Thread | None = None
        self._pid = 0

    @contextmanager
    def hold(self, node_execution_id: int) -> Iterator[threading.Event]:
        cancelled = threading.Event()
        with self._lock:
            self._running[node_execution_id] = cancelled
            self._ensure_thread()
        try:
            yield cancelled
        finally:
            with self._lock:
                self._running.pop(node_execution_id, None)

    def _ensure_thread(self) -> None:
        # A forked worker child inherits the registry but not the thread: start one per pid.
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="zzyra-heartbeat", daemon=True)
            self._thread.start()

    def _snapshot(self) -> dict[int, threading.Event]:
        with self._lock:
            return dict(self._running)

    def _loop(self) -> None:
        last_beat = time.monotonic()
        while True:
            time.sleep(settings.ZZYRA_CANCEL_POLL_SECONDS)
            running = self._snapshot()
            if not running:
                continue
            try:
                close_old_connections()
                ids = list(running)
                # One process runs nodes of many tenants: the maintenance role sees them all.
                with transaction.atomic(), maintenance_role():
                    for (node_execution_id,) in sqlfile.fetch_all(
                        "nodes_cancel_requested", node_execution_ids=ids
                    ):
                        running[node_execution_id].set()
                    if time.monotonic() - last_beat >= settings.ZZYRA_HEARTBEAT_INTERVAL_SECONDS:
                        sqlfile.execute("nodes_heartbeat", node_execution_ids=ids)
                        last_beat = time.monotonic()
            except Exception:
                # The database may be restarting; the next tick tries again with a new connection.
                logger.warning("heartbeat failed for %d running nodes", len(running), exc_info=True)
                connection.close()


leases = _Leases()
