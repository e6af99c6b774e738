"""Use cases of the pause ledger: a node begins to wait, and the ways a wait ends.

A wait ends by an approver's decision, an event, the pause scan (a due timer or an expiry) or,
for an operator's hold, a resume. Each one is one transaction around one compare-and-set
transition (executions.pause_transitions), with ready children published after commit: two
resumes that race leave exactly one winner, and the loser gets PauseAlreadyResumed (409).

Events and waits meet under a transaction-scoped advisory lock on (owner, key), so an event
posted while a wait is being recorded is never lost between the two (see `event_post`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from database.acting import acting_as_execution_owner
from database.roles import maintenance_role
from executions import pause_transitions
from executions.dispatch import publish_on_commit
from executions.models import WorkflowExecution
from executions.plans import plan_get
from executions.transitions import Completion
from pauses import selectors
from pauses.exceptions import (
    NotPaused,
    PauseAlreadyResumed,
    PauseConflict,
    PauseForbidden,
    PauseNotFound,
    WrongPauseKind,
)
from pauses.models import ExternalEvent, PauseDecision, PauseKind, WorkflowPause
from workflows.graph import GraphPlan
from workflows.nodes import PauseRequest

logger = logging.getLogger("zzyra.pauses")

RECEIVED_HANDLES: frozenset[str | None] = frozenset({"received", None})
APPROVED_HANDLES: frozenset[str | None] = frozenset({"approved", None})
REJECTED_HANDLES: frozenset[str | None] = frozenset({"rejected"})
EXPIRED_HANDLES: frozenset[str | None] = frozenset({"expired"})


# --- A node begins to wait (called by the engine, inside its outcome transaction) ----------


def node_pause_begin(
    *,
    plan: GraphPlan,
    execution_id: str,
    node_id: str,
    node_execution_id: int,
    attempt: int,
    request: PauseRequest,
    logs: Sequence[tuple[str, str]] = (),
) -> Completion:
    """Record the node's wait. A wait for an event that already arrived ends at once, in the
    same transaction; a timer due soon also gets a broker countdown (the scan is the truth)."""
    owner_id = None
    if request.kind == PauseKind.EVENT and request.event_key is not None:
        owner_id = WorkflowExecution.objects.values_list("owner_id", flat=True).get(id=execution_id)
        _lock_event_key(owner_id, request.event_key)
    completion = pause_transitions.node_pause(
        plan=plan,
        execution_id=execution_id,
        node_id=node_id,
        node_execution_id=node_execution_id,
        attempt=attempt,
        request=request,
        logs=logs,
    )
    if completion.outcome != "paused" or completion.pause_id is None:
        return completion
    if owner_id is not None and request.event_key is not None:
        early = _take_early_event(owner_id, request.event_key)
        if early is not None:
            return _resume_with_event(plan, execution_id, completion.pause_id, early, owner_id)
    if request.kind == PauseKind.TIMER and request.resume_at is not None:
        seconds = (request.resume_at - timezone.now()).total_seconds()
        if seconds <= settings.ZZYRA_PAUSE_COUNTDOWN_MAX_SECONDS:
            pause_id = completion.pause_id
            transaction.on_commit(lambda: _publish_countdown(pause_id, seconds))
    return completion


def _publish_countdown(pause_id: int, seconds: float) -> None:
    from pauses.tasks import resume_due

    if settings.ZZYRA_DISPATCHER != "celery":
        return  # no broker in the embedded mode: its maintenance loop runs the pause scan
    try:
        resume_due.apply_async(args=(pause_id,), countdown=max(0.0, seconds), queue="maintenance")
    except Exception:  # only an optimisation: the pause scan resumes it anyway
        logger.warning("countdown for pause %s not published", pause_id, exc_info=True)


# --- Events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventOutcome:
    event_id: int
    resumed_pause_ids: list[int]

    @property
    def stored_for_later(self) -> bool:
        return not self.resumed_pause_ids


def event_post(*, owner_id: int, key: str, payload: Any) -> EventOutcome:
    """Deliver an event to the owner's executions.

    The rule: an event resumes every wait on its key that is open when it arrives (each gets
    the payload as its output). If none is open, the event is kept, and the first wait on that
    key to begin within ZZYRA_EVENT_RETENTION_SECONDS consumes it and ends at once; each kept
    event is consumed by one wait only, oldest first.
    """
    with transaction.atomic():
        _lock_event_key(owner_id, key)
        event = ExternalEvent.objects.create(owner_id=owner_id, key=key, payload=payload)
        waiting = (
            WorkflowPause.objects.filter(
                kind=PauseKind.EVENT,
                event_key=key,
                resumed_at__isnull=True,
                execution__owner_id=owner_id,
            )
            # One order for every transaction that locks several executions: no deadlock.
            .order_by("execution_id", "id")
            .values_list("id", "execution_id", "execution__version_id")
        )
        resumed: list[int] = []
        for pause_id, execution_id, version_id in waiting:
            completion = _resume_with_event(
                plan_get(version_id), str(execution_id), pause_id, event, owner_id
            )
            if completion.outcome == "succeeded":
                resumed.append(pause_id)
            publish_on_commit(completion.runs)
    return EventOutcome(event_id=event.id, resumed_pause_ids=resumed)


def _resume_with_event(
    plan: GraphPlan, execution_id: str, pause_id: int, event: ExternalEvent, owner_id: int
) -> Completion:
    completion = pause_transitions.node_resume(
        plan=plan,
        execution_id=execution_id,
        pause_id=pause_id,
        decision=PauseDecision.RECEIVED,
        resumed_by_id=owner_id,
        resumed_via="event",
        resume_data={"event_id": event.id, "key": event.key},
        output=event.payload,
        fired=RECEIVED_HANDLES,
    )
    if completion.outcome == "succeeded":
        ExternalEvent.objects.filter(id=event.id).update(
            consumed_at=timezone.now(), resumed_pauses=[*event.resumed_pauses, pause_id]
        )
        event.resumed_pauses = [*event.resumed_pauses, pause_id]
    return completion


def _take_early_event(owner_id: int, key: str) -> ExternalEvent | None:
    cutoff = timezone.now() - timedelta(seconds=settings.ZZYRA_EVENT_RETENTION_SECONDS)
    return (
        ExternalEvent.objects.filter(
            owner_id=owner_id, key=key, consumed_at__isnull=True, received_at__gte=cutoff
        )
        .order_by("received_at", "id")
        .first()
    )


def _lock_event_key(owner_id: int, key: str) -> None:
    """Serialises everything that matches events and waits on one key, until commit."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"zzyra-event:{owner_id}:{key}"],
        )


# --- Approvals ------------------------------------------------------------------------------


def pause_decide(
    *,
    pause_id: Any,
    approve: bool,
    actor_id: int | None,
    data: Any = None,
    via: str,
    operator: bool = False,
) -> WorkflowPause:
    """Approve or reject an approval. `operator` (the command without a user, a superuser in
    the admin) may decide any approval; everyone else must be a listed approver or the owner."""
    pause = _pause(pause_id)
    if pause.kind != PauseKind.APPROVAL:
        raise WrongPauseKind(
            f"pause {pause.id} is a {pause.kind} pause; only approvals take a decision"
        )
    if not operator and (actor_id is None or not selectors.pause_may_decide(pause, actor_id)):
        raise PauseForbidden(
            f"user {actor_id} may not decide pause {pause.id}: only its approvers or the "
            "execution's owner may"
        )
    _require_open(pause)
    decision = PauseDecision.APPROVED if approve else PauseDecision.REJECTED
    output = {
        "decision": str(decision),
        "data": data,
        "decided_by": actor_id,
        "decided_at": timezone.now().isoformat(),
    }
    _resume_node(
        pause,
        decision=decision,
        resumed_by_id=actor_id,
        resumed_via=via,
        resume_data=data,
        output=output,
        fired=APPROVED_HANDLES if approve else REJECTED_HANDLES,
    )
    return _pause(pause.id)


# --- The pause scan: due timers and expiries ------------------------------------------------


def pauses_resume_due(*, limit: int = 500) -> int:
    """Resume every open pause whose timer is due or whose wait has expired. Safe to run
    concurrently with itself and with countdown tasks: each resume is a compare-and-set."""
    with transaction.atomic(), maintenance_role():  # finds any tenant's due pauses
        due = selectors.pauses_due(now=timezone.now(), limit=limit)
    resumed = 0
    for pause_id in due:
        try:
            resumed += pause_resume_if_due(pause_id=pause_id)
        except PauseConflict:
            continue  # another scan, a countdown or a person got there first
    return resumed


def pause_resume_if_due(*, pause_id: int) -> bool:
    """Resume one pause if its time has come; False when it is not due or already closed."""
    try:
        pause = _pause(pause_id)
    except PauseNotFound:
        return False
    if not pause.is_open:
        return False
    now = timezone.now()
    if pause.kind == PauseKind.TIMER and pause.resume_at is not None and pause.resume_at <= now:
        _resume_node(
            pause,
            decision=PauseDecision.ELAPSED,
            resumed_by_id=None,
            resumed_via="scan",
            output={"due_at": pause.resume_at.isoformat(), "resumed_at": now.isoformat()},
        )
        return True
    if pause.expires_at is None or pause.expires_at > now or pause.kind == PauseKind.TIMER:
        return False
    with acting_as_execution_owner(pause.execution_id):
        node = _plan_of(pause.execution_id).nodes[pause.node_id]
    if any("expired" in handles for handles in node.children.values()):
        output: dict[str, Any] = {"decision": "expired", "expired_at": now.isoformat()}
        if pause.kind == PauseKind.EVENT:
            output = {"expired": True, "key": pause.event_key, "expired_at": now.isoformat()}
        _resume_node(
            pause,
            decision=PauseDecision.EXPIRED,
            resumed_by_id=None,
            resumed_via="scan",
            output=output,
            fired=EXPIRED_HANDLES,
        )
    else:
        what = "approval" if pause.kind == PauseKind.APPROVAL else f"wait for {pause.event_key!r}"
        _resume_node(
            pause,
            decision=PauseDecision.EXPIRED,
            resumed_by_id=None,
            resumed_via="scan",
            error=(
                f"{what} expired at {pause.expires_at.isoformat()} with no decision; add an "
                "edge with sourceHandle 'expired' to go on after an expiry"
            ),
        )
    return True


# --- Operator pause and resume --------------------------------------------------------------


def execution_pause(*, execution_id: Any, actor_id: int | None, reason: str = "") -> WorkflowPause:
    """Hold an execution: nothing new starts, running nodes finish and are recorded."""
    with transaction.atomic():
        completion = pause_transitions.execution_hold(
            execution_id=str(execution_id),
            reason=reason or "paused by an operator",
            actor_id=actor_id,
        )
    if completion.outcome == "not_active":
        status = _execution_status(execution_id)
        raise PauseConflict(
            f"execution {execution_id} is {status}: only a pending, running or paused "
            "execution that is not failing or being cancelled can be paused"
        )
    if completion.outcome == "already_held":
        raise PauseConflict(
            f"execution {execution_id} is already paused by an operator (pause "
            f"{completion.pause_id})"
        )
    return _pause(completion.pause_id)


def execution_resume(*, execution_id: Any, actor_id: int | None, via: str) -> WorkflowPause:
    """Lift an operator's hold; the execution continues where it stopped."""
    with transaction.atomic(), maintenance_role():
        hold = WorkflowPause.objects.filter(
            execution_id=execution_id, kind=PauseKind.OPERATOR, resumed_at__isnull=True
        ).first()
    if hold is None:
        status = _execution_status(execution_id)
        raise NotPaused(
            f"execution {execution_id} is not paused by an operator (it is {status}); "
            "nothing to resume"
        )
    return _release(hold, actor_id=actor_id, via=via)


def pause_resume(
    *, pause_id: Any, actor_id: int | None, via: str, operator: bool = False
) -> WorkflowPause:
    """Resume an operator's hold by its pause id (the admin action, the command)."""
    pause = _pause(pause_id)
    if pause.kind != PauseKind.OPERATOR:
        raise WrongPauseKind(
            f"pause {pause.id} is a {pause.kind} pause: approvals are approved or rejected, "
            "timers and events resume themselves"
        )
    if not operator and actor_id != pause.owner_id:
        raise PauseForbidden(f"only the execution's owner may resume pause {pause.id}")
    _require_open(pause)
    return _release(pause, actor_id=actor_id, via=via)


def _release(hold: WorkflowPause, *, actor_id: int | None, via: str) -> WorkflowPause:
    with acting_as_execution_owner(hold.execution_id):
        completion = pause_transitions.execution_release(
            plan=_plan_of(hold.execution_id),
            execution_id=str(hold.execution_id),
            pause_id=hold.id,
            resumed_by_id=actor_id,
            resumed_via=via,
        )
        publish_on_commit(completion.runs)
    if completion.outcome == "already_resumed":
        raise PauseAlreadyResumed(_already_resumed_message(_pause(hold.id)))
    return _pause(hold.id)


# --- Shared -----------------------------------------------------------------------------------


def _resume_node(pause: WorkflowPause, **resume: Any) -> Completion:
    with transaction.atomic():
        with acting_as_execution_owner(pause.execution_id):
            completion = pause_transitions.node_resume(
                plan=_plan_of(pause.execution_id),
                execution_id=str(pause.execution_id),
                pause_id=pause.id,
                **resume,
            )
            publish_on_commit(completion.runs)
        if completion.outcome not in ("already_resumed", "stale"):
            # Security-relevant: who let a waiting run go on, and how (DESIGN.md, audit). As
            # the caller, not the owner: an approver's record is the approver's own.
            audit_record(
                action=AuditAction.PAUSE_RESUME,
                actor_id=resume.get("resumed_by_id"),
                target_type="workflow_pause",
                target_id=pause.id,
                detail={"decision": resume.get("decision"), "via": resume.get("resumed_via")},
            )
    if completion.outcome == "already_resumed":
        raise PauseAlreadyResumed(_already_resumed_message(_pause(pause.id)))
    if completion.outcome == "stale":
        raise NotPaused(f"pause {pause.id}: node {pause.node_id!r} no longer waits")
    return completion


def _plan_of(execution_id: Any) -> GraphPlan:
    version_id = WorkflowExecution.objects.values_list("version_id", flat=True).get(id=execution_id)
    return plan_get(version_id)


def _pause(pause_id: Any) -> WorkflowPause:
    """The pause row, read past tenancy: callers check who may act on it (403, not 404)."""
    try:
        with transaction.atomic(), maintenance_role():
            return WorkflowPause.objects.get(id=pause_id)
    except (WorkflowPause.DoesNotExist, ValueError):
        raise PauseNotFound(f"no pause {pause_id}") from None


def _execution_status(execution_id: Any) -> str:
    with transaction.atomic(), maintenance_role():
        return str(WorkflowExecution.objects.values_list("status", flat=True).get(id=execution_id))


def _require_open(pause: WorkflowPause) -> None:
    if not pause.is_open:
        raise PauseAlreadyResumed(_already_resumed_message(pause))


def _already_resumed_message(pause: WorkflowPause) -> str:
    who = f" by user {pause.resumed_by_id}" if pause.resumed_by_id else ""
    when = pause.resumed_at.isoformat() if pause.resumed_at else "?"
    return (
        f"pause {pause.id} was already resumed ({pause.decision}{who} via {pause.resumed_via} "
        f"at {when})"
    )
