"""One transaction per request, acting as the authenticated user (database/acting.py).

The acting user is set with SET LOCAL semantics, so it needs a transaction around the whole
view; it starts anonymous (no rows) and becomes the user once authentication knows who that
is: here for Django's session login, in database.authentication for DRF token requests.
Placed right after AuthenticationMiddleware.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

from database.acting import acting_user_set


class ActingUserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        inherited = connection.in_atomic_block
        with transaction.atomic():
            if inherited:
                # Explicitly anonymous first: a request run inside an outer transaction (tests)
                # must not inherit the previous request's user. A new transaction has none.
                acting_user_set(None)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                acting_user_set(user.pk)
            return self.get_response(request)
