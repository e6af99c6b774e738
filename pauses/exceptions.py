"""Errors the pause services raise. Each carries the HTTP status an API answers with, so the
views, the admin and the command all report the same thing the same way."""


class PauseError(Exception):
    http_status = 400


class PauseNotFound(PauseError):
    http_status = 404


class PauseForbidden(PauseError):
    """Only the listed approvers, or the execution's owner, may decide an approval."""

    http_status = 403


class PauseConflict(PauseError):
    """The state moved on: resumed already, not paused, or paused already (409)."""

    http_status = 409


class PauseAlreadyResumed(PauseConflict):
    pass


class NotPaused(PauseConflict):
    pass


class WrongPauseKind(PauseError):
    """E.g. approving a timer: only approvals take decisions."""
