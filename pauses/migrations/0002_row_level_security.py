"""Row-level security on the pause ledger (SQL in pauses/sql/rls.sql).

Runs after the database app created the roles and the policy helper functions; the catalog
test (tests/database/test_rls.py) checks every table has forced RLS.
"""

from pathlib import Path

from django.db import migrations

from zzyra.sqlfile import SqlFile

sql = SqlFile(Path(__file__).resolve().parents[1] / "sql")


class Migration(migrations.Migration):
    dependencies = [
        ("pauses", "0001_initial"),
        ("database", "0002_roles_and_row_level_security"),
    ]

    operations = [migrations.RunSQL([sql.query("rls_pause_tables")])]
