"""The bulk path: host groups checked in forked worker processes.

Workers are forked so that they inherit the run's compiled rules (closures do not
pickle): the run's :class:`~linter.runstate.RunConfig` is handed to each worker once, by
the pool's initializer, and kept for the life of that process in :data:`_worker_config`
(a worker checks chunks of host groups for one run only).  The merge does not depend on
which worker finished first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from linter.model import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from linter.hosts import HostFiles
    from linter.runstate import RunConfig, RunState


def worker_count(jobs: int | None, files: int, groups: int, minimum_files: int) -> int:
    """Worker processes for a run: ``jobs``, or for None the CPU count when at least
    ``minimum_files`` files are checked; 1 when forking is not possible."""
    if jobs is None:
        if files < minimum_files:
            return 1
        try:
            jobs = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            jobs = os.cpu_count() or 1
    if jobs <= 1 or groups <= 1 or _fork_context() is None:
        return 1
    return min(jobs, groups)


def _fork_context() -> Any:
    """The fork context; None where fork is unavailable or unsafe (Windows, macOS): the
    run stays serial."""
    import sys

    if sys.platform in ("win32", "darwin"):
        return None
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


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


def check_parallel(config: RunConfig, groups: Sequence[HostFiles], workers: int,
                   digests: dict[str, bytes | None]) -> RunState:
    """Host groups in chunks over a process pool; what the workers found, merged in one
    state (its parsed documents stay empty)."""
    from linter.runstate import RunState, merge_digests

    context = _fork_context()
    size = max(4, min(64, len(groups) // (workers * 8) or 1))
    chunks = [list(groups[i:i + size]) for i in range(0, len(groups), size)]
    merged = RunState(config)
    with context.Pool(workers, initializer=_init_worker, initargs=(config,)) as pool:
        for found, failed, marked, skipped, read in pool.imap_unordered(_check_chunk, chunks):
            merge_digests(digests, read)
            merged.diagnostics.update(found)
            merged.errors += [ConfigError(*fields) for fields in failed]
            merged.comments.update(marked)
            merged.notes.update(skipped)
    return merged
