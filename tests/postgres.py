"""The PostgreSQL server the tests use, and unique database names on it.

The server is ``BANDMATE_TEST_POSTGRES_URL`` (default: the local server's ``postgres`` db).
Fixtures built on this live in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import uuid

PG_SERVER = os.environ.get(
    "BANDMATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def unique_name(tag: str) -> str:
    """A database name no other test run uses."""
    return f"bandmate_test_{tag}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
