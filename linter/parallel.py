"""The bulk path: host groups checked in forked worker processes.

Workers are forked so that they inherit the run's compiled rules (closures do not
pickle): the run's :class:`~linter.runstate.RunConfig` is handed to each worker once, by
the pool's initializer, and kept for the life of that process in :data:`_worker_config`
(a worker checks chunks of host groups for one run only).  The merge does not depend on
which worker finished first.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from linter.model import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from linter.hosts import HostFiles
    from linter.runstate import RunConfig, RunState


def worker_count(jobs: int | None, files: int) -> int:
    """Worker processes for a run of ``files`` files (at most one host each): ``jobs``, or
    for None the CPU count; 1 when forking is not possible.  (Whether a run is big enough
    for a pool is the engine's call: :func:`linter.engine._workers`.)"""
    if jobs is None:
        try:
            jobs = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            jobs = os.cpu_count() or 1
    if jobs <= 1 or not _can_fork():
        return 1
    return min(jobs, files)


def _can_fork() -> bool:
    """Whether workers can be forked: not where fork is unavailable or unsafe (Windows,
    macOS), where the run stays serial.  (multiprocessing is imported only to start a pool.)"""
    import sys

    return sys.platform not in ("win32", "darwin") and hasattr(os, "fork")


_worker_config: RunConfig | None = None  # in a worker process: the run it works for


def _init_worker(config: RunConfig) -> None:
    global _worker_config
    _worker_config = config


def _check_chunk(chunk: list[HostFiles]) -> tuple[list, list[tuple], list, list[tuple], dict]:
    from linter.parsers import READ_DIGESTS
    from linter.runstate import RunState

    assert _worker_config is not None
    READ_DIGESTS.clear()
    state = RunState(_worker_config)
    state.check_groups(chunk)
    # ConfigError does not survive pickling (its args are not its constructor's): send fields
    return (list(state.diagnostics), [(e.path, e.line, e.column, e.message) for e in state.errors],
            list(state.comments), list(state.notes), dict(READ_DIGESTS))


def check_parallel(config: RunConfig, hosts: Iterable[HostFiles], workers: int,
                   digests: dict[str, bytes | None], files: int) -> RunState:
    """Host groups in chunks over a process pool, what the workers found merged in one
    state (its parsed documents stay empty).

    ``hosts`` are taken as they are grouped (:func:`linter.hosts.hosts_as_grouped`): the
    pool starts with the first full chunk, while the rest are still being grouped, and
    works on each chunk as soon as it is handed over.  When all the hosts fit in one chunk
    the pool has no more workers than hosts, and a single host is checked in-process.
    ``files`` (the number of files passed) sizes the chunks: about three per host, each
    chunk about a sixteenth (two workers) of what is left, so that the last chunks are
    small and the workers finish together."""
    from linter.runstate import RunState, merge_digests

    size = _chunk_size(files, workers)
    handed = 0  # files passed of the hosts handed over
    merged = RunState(config)
    pending: list = []  # the workers' results, in the order the chunks were handed over
    pool = None
    chunk: list[HostFiles] = []
    try:
        for host in hosts:
            chunk.append(host)
            if len(chunk) >= size:
                if pool is None:
                    pool = _start_pool(config, workers)
                pending.append(_hand_over(pool, chunk))
                handed += sum(len(h.reported) for h in chunk)
                size = _chunk_size(files - handed, workers)
                chunk = []
        if pool is None:  # every host in one chunk
            if len(chunk) <= 1:
                merged.check_groups(chunk)
                return merged
            pool = _start_pool(config, min(workers, len(chunk)))
        if chunk:
            pending.append(_hand_over(pool, chunk))
        for result in pending:
            found, failed, marked, skipped, read = result.get()
            merge_digests(digests, read)
            merged.diagnostics.update(dict.fromkeys(found))
            merged.errors += [ConfigError(*fields) for fields in failed]
            merged.comments.update(marked)
            merged.notes.update(skipped)
    finally:
        if pool is not None:
            pool.terminate()
    return merged


def _chunk_size(files: int, workers: int) -> int:
    """Hosts per chunk when ``files`` files are left: between 4 (what handing a chunk over
    costs) and 64 (a chunk's results held at once)."""
    return max(4, min(64, files // (workers * 24) or 1))


def _start_pool(config: RunConfig, workers: int) -> Any:
    import multiprocessing

    return multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(config,))


def _hand_over(pool: Any, chunk: list[HostFiles]) -> Any:
    """A chunk of hosts handed to the pool: a worker takes it as soon as one is free."""
    return pool.apply_async(_check_chunk, (chunk,))
