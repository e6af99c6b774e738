"""The node-type registry: the one place that lists which node types exist."""

from __future__ import annotations

from workflows.nodes.approval import APPROVAL
from workflows.nodes.base import (
    NodeCancelled,
    NodeContext,
    NodeError,
    NodeType,
    PauseRequest,
    PauseRequested,
    RetryableNodeError,
)
from workflows.nodes.code import CODE
from workflows.nodes.condition import CONDITION
from workflows.nodes.delay import DELAY
from workflows.nodes.http import HTTP
from workflows.nodes.transform import TRANSFORM
from workflows.nodes.wait_for_event import WAIT_FOR_EVENT

NODE_TYPES: dict[str, NodeType] = {
    node_type.name: node_type
    for node_type in (TRANSFORM, CONDITION, HTTP, CODE, DELAY, APPROVAL, WAIT_FOR_EVENT)
}


def node_type_get(name: str) -> NodeType:
    try:
        return NODE_TYPES[name]
    except KeyError:
        raise KeyError(
            f"unknown node type {name!r}; known types: {', '.join(sorted(NODE_TYPES))}"
        ) from None


__all__ = [
    "NODE_TYPES",
    "NodeCancelled",
    "NodeContext",
    "NodeError",
    "NodeType",
    "PauseRequest",
    "PauseRequested",
    "RetryableNodeError",
    "node_type_get",
]
