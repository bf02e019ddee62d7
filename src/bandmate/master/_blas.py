"""BLAS on one thread for the small matrix products of the meters and the limiter.

Their products are a few hundred rows at a time: a second BLAS thread gains nothing on them,
and on a busy machine a thread that waits for a core stalls every call (a true-peak pass
took 20 times longer with two threads on two busy cores than with one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]


@cache
def _controller() -> Any:
    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit every loaded BLAS library to one thread inside the ``with`` block."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
