"""Roles, grants and row-level security (SQL in database/sql/roles.sql, grants.sql, rls.sql).

Runs after every table it protects exists. A table added later gets the application role's
grants by default privileges but no policy: the catalog test (tests/database/test_rls.py)
fails until its migration enables, forces and writes policies for it.
"""

from django.db import migrations

from database.sqlfile import sql


class Migration(migrations.Migration):
    dependencies = [
        ("database", "0001_partition_logs"),
        ("audit", "0002_append_only"),
        ("workflows", "0001_initial"),
        ("executions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL([sql.query("roles_ensure")]),
        migrations.RunSQL([sql.query("rls_functions")]),
        migrations.RunSQL([sql.query("rls_engine_tables")]),
        migrations.RunSQL([sql.query("rls_audit_table")]),
        migrations.RunSQL([sql.query("rls_django_tables")]),
        migrations.RunSQL([sql.query("grants")]),
    ]
