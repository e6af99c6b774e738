"""Load benchmarks for the engine: `manage.py bench` drives them.

The engine's promise is durability, and its price is ledger writes per node hop. This package
measures that price against real RabbitMQ, PostgreSQL, gunicorn and Celery worker processes:
executions are started through the REST API at a fixed rate (open loop) and their
start-to-completed latency is read from the ledger, next to the same shapes run as plain Celery
chains of no-op tasks on the same broker and workers (the baseline).
"""
