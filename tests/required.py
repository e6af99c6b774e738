"""A service or tool the tests need and cannot find: a skip on a developer's machine, a failure
under CI (README: "in CI a missing service is a failure, not a skip")."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"required under CI, and {reason}", pytrace=False)
    pytest.skip(reason)
