"""The chaos suite: crash everything the engine depends on while it runs, then count.

DESIGN.md promises that every run finishes deterministically even if workers die, the broker
or the database restarts. This package checks that promise end to end: it starts its own
PostgreSQL and RabbitMQ (so it may kill them), several Celery workers, beat and an idempotent
HTTP sink, starts many executions of a fan-out/join workflow with side-effecting HTTP nodes,
injects faults meanwhile, and reports what was lost, stuck or applied twice.

Entry points: `python manage.py chaos` and `python -m chaos` (same options). See docs/chaos.md.

Modules: `stack` (private servers), `processes` (workers and beat), `sink` (the HTTP
receiver), `faults` (the kill loop), `run` (the orchestration) and `report` (the figures).
"""
