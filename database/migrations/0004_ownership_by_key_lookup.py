"""Ownership through a parent row is checked by a key lookup per row, never by hashing.

The EXISTS in 0003's policies on node_executions, node_inputs, node_outputs, the logs and
workflow_versions let the planner run the subquery once per statement and hash every execution
the acting user owns: under load a three-row count of one execution's nodes read 7,000 rows
(3 ms). The policy blocks now compare a correlated scalar subquery on the parent's primary key.
"""

from django.db import migrations

from database.sqlfile import sql


class Migration(migrations.Migration):
    dependencies = [("database", "0003_policies_evaluated_once_per_statement")]

    operations = [migrations.RunSQL([sql.query("rls_engine_tables")])]
