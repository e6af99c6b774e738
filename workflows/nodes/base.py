"""What a node type is: a config schema, a queue, and a run function.

Adding a node type means writing one module that builds a `NodeType` and registering it in
`workflows.nodes`. The engine knows nothing else about types.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflows.retry import RetryPolicy


class NodeError(Exception):
    """A node run that failed; `retryable` says whether another attempt could help."""

    retryable = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class RetryableNodeError(NodeError):
    retryable = True


class NodeCancelled(NodeError):
    """The run stopped because its execution was cancelled."""


@dataclass(frozen=True)
class NodeContext:
    """Everything a run function may use. `config` is already rendered."""

    execution_id: str
    node_id: str
    attempt: int
    config: dict[str, Any]
    # The execution input and the outputs of every ancestor, as templates see them.
    template_context: dict[str, Any]
    # Stable across attempts of this node in this execution (DESIGN.md invariant 6).
    idempotency_key: str
    log: Callable[[str], None] = field(default=lambda message: None)
    # Set when the execution is cancelled; long-running work should watch it and abort.
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class NodeType:
    name: str
    description: str
    config_schema: Mapping[str, Any]
    run: Callable[[NodeContext], Any]
    queue: str = "engine"
    # sourceHandle values an out-edge may carry; empty means edges carry none.
    handles: frozenset[str] = frozenset()
    # Config keys holding bare expressions, evaluated by the run function, not pre-rendered.
    expression_fields: frozenset[str] = frozenset()
    # Config keys passed through untouched: neither rendered nor checked as templates (code).
    verbatim_fields: frozenset[str] = frozenset()
    default_retry: RetryPolicy = field(default_factory=RetryPolicy)
    # A pure type computes its output from its config and inputs alone, quickly, touching
    # nothing outside: the engine may run it inside the transaction that claims it and records
    # its outcome, since rolling that transaction back undoes everything it did.
    pure: bool = False
    # Given the output, which handles fire; None means every out-edge fires. In a set, None
    # stands for the edges without a sourceHandle.
    fired_handles: Callable[[Any], frozenset[str | None] | None] = field(
        default=lambda output: None
    )


@dataclass(frozen=True)
class PauseRequest:
    """What a waiting node asks the engine to record instead of an output.

    The engine turns it into a `workflow_pauses` row and a `paused` node in one transaction;
    no worker waits. The pause is resumed later by a decision, an event, the pause scan (a due
    timer or an expiry) or an operator, and its resume supplies the node's output.
    """

    kind: str  # timer, approval or event (operator pauses are not made by nodes)
    reason: str
    # What the approver or the event sender needs to see.
    context: dict[str, Any] = field(default_factory=dict)
    resume_at: datetime | None = None  # timers: when the pause scan resumes it
    expires_at: datetime | None = None  # approvals and events: when it expires
    approvers: dict[str, list[Any]] = field(default_factory=dict)  # {"users": [], "groups": []}
    event_key: str | None = None


class PauseRequested(Exception):
    """Raised by a node's run function to wait without holding a worker."""

    def __init__(self, request: PauseRequest) -> None:
        super().__init__(request.reason)
        self.request = request
