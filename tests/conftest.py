"""Test-wide setup: the test runner is the database owner.

It creates test databases, flushes them between cases (through the audit trail's maintenance
path) and asserts across tenants, so it keeps its login role; everything it starts in other
processes (Celery workers) and every test of row-level security runs as the application role
(see docs/database.md).
"""

from database.roles import process_owner_enable

process_owner_enable()
