"""Retention of execution payloads: the payloads_pruned_at stamp and the pruning function
(executions/sql/retention.sql), callable by the maintenance role."""

from django.db import migrations, models

from executions import sqlfile


class Migration(migrations.Migration):
    dependencies = [
        ("executions", "0004_relay_stamp"),
        ("database", "0003_policies_evaluated_once_per_statement"),
    ]

    operations = [
        migrations.AddField(
            model_name="workflowexecution",
            name="payloads_pruned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(
            [sqlfile.query("payloads_prune_function")],
            reverse_sql=[
                "DROP FUNCTION IF EXISTS zzyra_execution_payloads_prune(timestamptz, integer)"
            ],
        ),
    ]
