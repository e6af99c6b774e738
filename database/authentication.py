"""DRF token authentication under row-level security on authtoken_token and auth_user.

The token row is visible only to a transaction that names its key (`zzyra.token_key`); once
the key matched, the request acts as the token's user (inside ActingUserMiddleware's
transaction). Outside a transaction the lookup finds nothing: authentication fails closed.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication

from database.acting import acting_user_set, lookup_hint_set


class TokenAuthentication(DrfTokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        if connection.in_atomic_block:
            lookup_hint_set("token_key", key)
        user, token = super().authenticate_credentials(key)
        if connection.in_atomic_block:
            acting_user_set(user.pk)
        return user, token
