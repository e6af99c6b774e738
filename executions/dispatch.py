"""Publishing ready node runs: to RabbitMQ through Celery, or onto threads in-process.

Contract: `publish(runs)` is called after the transaction that made the runs ready has
committed. It tries to hand every run to something that will execute it, never raises, and
returns the runs it could not hand over. It writes nothing to the ledger: a ready node that
nobody claims within a few seconds (a crash before publishing, the broker down, a lost
message) is published again by the relay. Publishing twice is harmless, since a node run
claims its attempt by compare-and-set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

logger = logging.getLogger("zzyra.dispatch")


@dataclass(frozen=True)
class NodeRun:
    execution_id: str
    node_id: str
    attempt: int
    queue: str
    due_at: datetime | None = None

    @property
    def message_id(self) -> str:
        return f"{self.execution_id}:{self.node_id}:{self.attempt}"

    def seconds_until_due(self) -> float:
        if self.due_at is None:
            return 0.0
        return max(0.0, (self.due_at - timezone.now()).total_seconds())


class Dispatcher(Protocol):
    def publish(self, runs: Sequence[NodeRun]) -> list[NodeRun]:
        """Hand the runs over; returns the ones that could not be handed over."""
        ...


class CeleryDispatcher:
    """One message per node run on the run's queue; the message id is the run's dedupe key."""

    def publish(self, runs: Sequence[NodeRun]) -> list[NodeRun]:
        from executions.tasks import run_node

        published: list[NodeRun] = []
        try:
            with run_node.app.producer_or_acquire() as producer:
                for run in runs:
                    # No countdown at all when due: an ETA makes workers hold the message.
                    countdown = run.seconds_until_due()
                    timing: dict[str, Any] = {"countdown": countdown} if countdown else {}
                    run_node.apply_async(
                        args=(run.execution_id, run.node_id, run.attempt),
                        task_id=run.message_id,
                        queue=run.queue,
                        routing_key=run.queue,
                        producer=producer,
                        **timing,
                    )
                    published.append(run)
        except Exception:
            logger.warning(
                "broker unavailable: %d of %d node runs left for the relay",
                len(runs) - len(published),
                len(runs),
                exc_info=True,
            )
        return list(runs[len(published) :])


class InProcessDispatcher:
    """Runs node runs on a thread pool of this process (the embedded mode, and tests).

    The same engine code runs each node; only the transport differs. A run due later waits
    on a timer thread, as a broker countdown would.
    """

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="zzyra-node")

    def publish(self, runs: Sequence[NodeRun]) -> list[NodeRun]:
        for run in runs:
            delay = run.seconds_until_due()
            if delay > 0:
                timer = threading.Timer(delay, self._submit, args=(run,))
                timer.daemon = True
                timer.start()
            else:
                self._submit(run)
        return []

    def _submit(self, run: NodeRun) -> None:
        self._pool.submit(_run_in_thread, run)


def _run_in_thread(run: NodeRun) -> None:
    from executions.engine import node_run

    close_old_connections()
    try:
        node_run(execution_id=run.execution_id, node_id=run.node_id, attempt=run.attempt)
    except Exception:
        logger.exception("node run %s crashed; the relay or sweeper takes it back", run.message_id)
    finally:
        close_old_connections()


def publish_on_commit(runs: Sequence[NodeRun]) -> None:
    """Publish once the current transaction commits (DESIGN.md invariant 3)."""
    if runs:
        batch = list(runs)
        transaction.on_commit(lambda: dispatcher().publish(batch))


@cache
def dispatcher() -> Dispatcher:
    kind = settings.ZZYRA_DISPATCHER
    if kind == "celery":
        return CeleryDispatcher()
    if kind == "inprocess":
        return InProcessDispatcher(threads=settings.ZZYRA_INPROCESS_THREADS)
    raise ValueError(f"ZZYRA_DISPATCHER must be 'celery' or 'inprocess', not {kind!r}")
