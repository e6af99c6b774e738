"""zzyra_execution_owner() becomes PL/pgSQL, which keeps its query's plan for the session.

As a SQL function with SECURITY DEFINER it could not be inlined and planned its one-row lookup
again on every call; workers call it at the start of every transaction.
"""

from django.db import migrations

from database.sqlfile import sql


class Migration(migrations.Migration):
    dependencies = [("database", "0004_ownership_by_key_lookup")]

    operations = [migrations.RunSQL([sql.query("rls_functions")])]
