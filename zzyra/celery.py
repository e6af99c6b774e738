"""The Celery app: durable queues, late acks and no result backend (the ledger is the truth).

Settings follow DESIGN.md: a message is only a hint ("look at node N of execution E, attempt
A"), so it is acknowledged after the run is recorded, redelivered if the worker dies, and
prefetched one at a time so a slow node never holds others hostage.
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zzyra.settings")

QUEUE_NAMES = ("engine", "io", "sandbox", "maintenance")
# A message redelivered this many times is dropped by a quorum queue; the ledger's attempt
# count bounds classic queues the same way (see executions.transitions).
QUORUM_DELIVERY_LIMIT = 5


def build_queues(queue_type: str) -> list[Queue]:
    if queue_type not in {"classic", "quorum"}:
        raise ValueError(f"ZZYRA_QUEUE_TYPE must be 'classic' or 'quorum', not {queue_type!r}")
    arguments: dict[str, object] = {}
    if queue_type == "quorum":
        arguments = {"x-queue-type": "quorum", "x-delivery-limit": QUORUM_DELIVERY_LIMIT}
    exchange = Exchange("zzyra", type="direct", durable=True)
    return [
        Queue(name, exchange, routing_key=name, durable=True, queue_arguments=arguments or None)
        for name in QUEUE_NAMES
    ]


app = Celery("zzyra")
app.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL") or "memory://",
    broker_connection_retry_on_startup=True,
    broker_transport_options={"confirm_publish": True},
    task_queues=build_queues(os.environ.get("ZZYRA_QUEUE_TYPE", "classic")),
    task_default_queue="engine",
    task_default_exchange="zzyra",
    task_default_routing_key="engine",
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_ignore_result=True,
    task_store_errors_even_if_ignored=False,
    task_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=1,
    worker_cancel_long_running_tasks_on_connection_loss=True,
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    task_send_sent_event=False,
    beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler",
    # Celery's Django fixup closes the database connection around every task unless told to
    # reuse it; a new connection per node hop cost two thirds of a hop's time. Tasks check
    # their connection's health instead (executions.tasks), so a restarted PostgreSQL is
    # still noticed.
    CELERY_DB_REUSE_MAX=1000,
    timezone="UTC",
)
app.autodiscover_tasks(["executions", "pauses"])
