"""Small helpers shared by the API views of every app."""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request


def acting_user_id(request: Request) -> int:
    """The authenticated user's id; views are behind IsAuthenticated, so this never guesses."""
    user_id = getattr(request.user, "pk", None)
    if user_id is None:
        raise NotAuthenticated()
    return int(user_id)
