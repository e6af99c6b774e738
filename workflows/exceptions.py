"""Errors the workflow services raise."""

from workflows.graph import InvalidGraph


class WorkflowError(Exception):
    pass


class WorkflowNameTaken(WorkflowError):
    def __init__(self, name: str) -> None:
        super().__init__(f"you already have a workflow named {name!r}")
        self.name = name


__all__ = ["InvalidGraph", "WorkflowError", "WorkflowNameTaken"]
