"""published_at becomes relayed_at: the normal path no longer writes after publishing; only
the relay stamps what it publishes again, and scans ready nodes by due time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("executions", "0003_node_status_paused"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="nodeexecution", name="node_ready_unpublished"),
        migrations.RenameField(
            model_name="nodeexecution", old_name="published_at", new_name="relayed_at"
        ),
        migrations.AddIndex(
            model_name="nodeexecution",
            index=models.Index(
                condition=models.Q(status="ready"),
                fields=["next_attempt_at"],
                name="node_ready_due",
            ),
        ),
    ]
