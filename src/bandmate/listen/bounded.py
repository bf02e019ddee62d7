"""Analysis in a child process with time and memory limits, for servers and job workers.

An uploaded file is hostile until proven otherwise: a decoder bug, a decompression bomb or
a pathological stream must not take the server down. :func:`analyze_file_bounded` runs
:func:`~bandmate.listen.analyze.analyze_file` in a fresh (spawned) Python process whose
address space is capped with ``RLIMIT_AS`` and whose CPU time is capped with
``RLIMIT_CPU``; the parent waits at most ``timeout_s`` of wall time, then kills it. Every
way the child can fail becomes a :class:`ListenError`.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from multiprocessing.connection import Connection
from pathlib import Path

from bandmate.listen.analyze import analyze_file
from bandmate.listen.errors import ListenError
from bandmate.listen.result import AudioAnalysis

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MAX_MEMORY = 3 << 30
"""Default address-space cap of the child, bytes (3 GiB: Python, numpy and scipy alone
map several hundred MiB, and a 30-minute stereo file decodes to about 1 GiB)."""


def _child(path: str, cache_dir: str | None, max_memory: int, cpu_s: int, out: Connection) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        result = analyze_file(path, cache_dir=cache_dir)
        out.send(("ok", result.to_json()))
    except ListenError as exc:
        out.send(("error", str(exc)))
    except MemoryError:
        out.send(("error", f"analysis needed more than max_memory={max_memory} bytes"))
    except Exception as exc:  # the child reports every failure to the parent
        out.send(("error", f"analysis failed: {type(exc).__name__}: {exc}"))
    finally:
        out.close()


def analyze_file_bounded(
    path: str | os.PathLike[str],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_memory: int = DEFAULT_MAX_MEMORY,
    cache_dir: str | os.PathLike[str] | None = None,
) -> AudioAnalysis:
    """Analyze a file in a child process with a wall-time and a memory limit.

    Args:
        path: The audio file.
        timeout_s: Wall-clock limit in seconds (the child's CPU time is capped too).
        max_memory: The child's address-space limit in bytes.
        cache_dir: Cache folder, as for :func:`~bandmate.listen.analyze.analyze_file`.

    Returns:
        The analysis.

    Raises:
        ListenError: when the file cannot be analyzed, the child runs out of time or
            memory, or dies.
    """
    if not timeout_s > 0:
        raise ListenError(f"timeout_s={timeout_s} must be > 0")
    if max_memory < 64 << 20:
        raise ListenError(f"max_memory={max_memory} must be at least {64 << 20} bytes")
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(
            os.fspath(Path(path)),
            None if cache_dir is None else os.fspath(cache_dir),
            max_memory,
            max(1, int(timeout_s) + 1),
            send,
        ),
        daemon=True,
    )
    process.start()
    send.close()
    try:
        if not receive.poll(timeout_s):
            raise ListenError(f"analysis of {os.fspath(path)!r} took longer than {timeout_s:g} s")
        status, payload = receive.recv()
    except EOFError as exc:
        process.join(5.0)
        raise ListenError(
            f"analysis process died (exit code {process.exitcode}); "
            f"the file may need more than max_memory={max_memory} bytes"
        ) from exc
    finally:
        if process.is_alive():
            process.kill()
        process.join(5.0)
        receive.close()
    if status != "ok":
        raise ListenError(payload)
    return AudioAnalysis.from_json(payload)
