"""Django's ModelBackend under row-level security on auth_user.

Before login nobody is acting, so the user row is invisible; the backend names the login
being tried (`zzyra.login_username`) for the lookup, and on success acts as that user for the
rest of the request's transaction (last_login is written next). A user id from the session
is trusted the same way, so `request.user` can be loaded.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import connection, transaction
from django.http import HttpRequest

from database.acting import acting_user_set, lookup_hint_set


class ModelBackend(DjangoModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        with transaction.atomic():
            lookup_hint_set("login_username", username or "")
            user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and connection.in_atomic_block:
            acting_user_set(user.pk)
        return user

    def get_user(self, user_id: Any) -> Any:
        if connection.in_atomic_block:
            acting_user_set(int(user_id))
        return super().get_user(user_id)
