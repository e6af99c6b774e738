"""execution_logs and node_logs become partitioned by month (SQL in database/sql/partitions.sql).

Django's state is unchanged: the models keep `id` as their key, the database keys rows by
(id, created_at) because a partitioned table's primary key must include the partition key.
"""

from django.db import migrations

from database.sqlfile import sql


class Migration(migrations.Migration):
    dependencies = [("executions", "0001_initial")]

    operations = [
        migrations.RunSQL([sql.query("logs_partition_tables")]),
        migrations.RunSQL([sql.query("logs_partition_functions")]),
        migrations.RunSQL(["SELECT zzyra_log_partitions_ensure(3)"]),
    ]
