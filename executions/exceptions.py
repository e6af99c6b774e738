"""Errors the execution services raise; each says whether trying again could help."""


class ExecutionError(Exception):
    retryable = False


class IdempotencyKeyReused(ExecutionError):
    """The key was already used to start an execution of a different workflow."""


class WorkflowHasNoVersion(ExecutionError):
    pass


class ExecutionAlreadyFinished(ExecutionError):
    """Cancelling (or resuming) an execution that has already ended."""
