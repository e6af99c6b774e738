"""Row-level security policies call their helpers once per statement, not once per row.

0002's policies called functions per row (zzyra_acting_user_owns_execution and friends), which
made a scan of node_executions some 30 times slower than needed. The policy blocks in
database/sql/rls.sql now use scalar subqueries and inline EXISTS, and drop their tables'
policies first, so running them again replaces the old policies.
"""

from django.db import migrations

from database.sqlfile import sql


class Migration(migrations.Migration):
    dependencies = [("database", "0002_roles_and_row_level_security")]

    operations = [
        migrations.RunSQL([sql.query("rls_functions")]),
        migrations.RunSQL([sql.query("rls_engine_tables")]),
        migrations.RunSQL([sql.query("rls_audit_table")]),
        migrations.RunSQL([sql.query("rls_django_tables")]),
        migrations.RunSQL(
            [
                "DROP FUNCTION IF EXISTS zzyra_acting_user_owns_execution(uuid),"
                " zzyra_acting_user_owns_node(bigint)"
            ]
        ),
    ]
