"""Drop two indexes that others already cover; every update of a node row writes every index.

`node_executions(execution_id)` is covered by the unique (execution_id, node_id) index, and
`workflow_executions(owner_id)` by execution_owner_created (owner_id, created_at DESC). Only the
indexes are dropped (concurrently, without locking writers); Django's AlterField would also drop
and re-validate the foreign keys, a full scan under an exclusive lock.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("executions", "0005_payload_retention"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="nodeexecution",
                    name="execution",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="nodes",
                        to="executions.workflowexecution",
                    ),
                ),
                migrations.AlterField(
                    model_name="workflowexecution",
                    name="owner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="executions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX CONCURRENTLY IF EXISTS node_executions_execution_id_ef52aba7",
                    "CREATE INDEX CONCURRENTLY node_executions_execution_id_ef52aba7"
                    " ON node_executions (execution_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX CONCURRENTLY IF EXISTS workflow_executions_owner_id_2ffd7e64",
                    "CREATE INDEX CONCURRENTLY workflow_executions_owner_id_2ffd7e64"
                    " ON workflow_executions (owner_id)",
                ),
            ],
        )
    ]
