"""audit_logs refuses UPDATE, DELETE and TRUNCATE (SQL in audit/sql/audit.sql)."""

from django.db import migrations

from audit.sqlfile import sql


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(
            [sql.query("audit_append_only")],
            reverse_sql=[
                "DROP TRIGGER audit_logs_append_only_rows ON audit_logs;"
                " DROP TRIGGER audit_logs_append_only_truncate ON audit_logs;"
                " DROP FUNCTION zzyra_audit_logs_append_only();"
            ],
        ),
    ]
