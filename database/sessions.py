"""Django's database sessions under row-level security.

django_session is forced RLS: a transaction sees only the session whose key it names in
`zzyra.session_key`, so no code path can list or read other people's sessions. This store
names the key before each of its own queries, each in a transaction of its own (a savepoint
inside a request), because it also runs after the request's transaction (saving on response).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import transaction

from database.acting import lookup_hint_set


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        with transaction.atomic():
            lookup_hint_set("session_key", self.session_key or "")
            return super()._get_session_from_db()  # type: ignore[misc]

    def exists(self, session_key: str) -> bool:
        with transaction.atomic():
            lookup_hint_set("session_key", session_key)
            return super().exists(session_key)

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
            return
        with transaction.atomic():
            lookup_hint_set("session_key", self.session_key)
            super().save(must_create=must_create)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key is None:
            return
        with transaction.atomic():
            lookup_hint_set("session_key", key)
            super().delete(key)
