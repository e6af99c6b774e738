"""`approval`: waits for a person to approve or reject, holding no worker.

Out-edges carry `sourceHandle` `approved` (edges without a handle follow it too), `rejected`
or `expired`. An expiry with no `expired` edge fails the node. Who may decide is checked when
the decision arrives (pauses.services): the listed approvers, or the execution's owner.
"""

from __future__ import annotations

from typing import Any

from workflows.nodes import waiting
from workflows.nodes.base import NodeContext, NodeError, NodeType, PauseRequest, PauseRequested


def approvers_from(value: Any) -> dict[str, list[Any]]:
    """Integers are user ids, strings are group names."""
    if value is None:
        return {"users": [], "groups": []}
    items = value if isinstance(value, list) else [value]
    users: list[int] = []
    groups: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise NodeError(f"approvers must be user ids or group names, got {item!r}")
        if isinstance(item, int):
            users.append(item)
        else:
            groups.append(item)
    return {"users": users, "groups": groups}


def run(context: NodeContext) -> Any:
    message = str(context.config["message"])
    raise PauseRequested(
        PauseRequest(
            kind="approval",
            reason=message,
            context={"message": message},
            expires_at=waiting.expires_at(context.config),
            approvers=approvers_from(context.config.get("approvers")),
        )
    )


APPROVAL = NodeType(
    name="approval",
    description="Waits for an approver's decision; edges on 'approved', 'rejected', 'expired'.",
    config_schema={
        "type": "object",
        "properties": {
            "message": {"type": "string", "minLength": 1},
            "approvers": {
                "anyOf": [
                    {"type": "array", "items": {"type": ["integer", "string"]}},
                    {"type": "string", "pattern": r"\{\{"},
                ]
            },
            "expires_in": waiting.EXPIRES_IN_SCHEMA,
        },
        "required": ["message"],
        "additionalProperties": False,
    },
    run=run,
    handles=frozenset({"approved", "rejected", "expired"}),
)
