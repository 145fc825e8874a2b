"""Worker processes that stop when the process that started them dies.

A killed atlas run must not leave its workers writing pages into a temporary folder for
seconds more. :func:`stop_with_parent` is the initializer of every worker pool: on Linux the
kernel sends the worker SIGTERM the moment its parent dies (``PR_SET_PDEATHSIG``); elsewhere,
and as a second guard, :func:`parent_gone` is checked between units of work.
"""

from __future__ import annotations

import os

__all__ = ["parent_gone", "stop_with_parent"]

_PARENT: int | None = None  # in a worker: the process id of the process that started it


def stop_with_parent(parent: int) -> None:
    """Pool initializer: make this worker end when process ``parent`` dies.

    Parameters
    ----------
    parent
        The process id of the process starting the pool (``os.getpid()`` there).
    """
    global _PARENT
    _PARENT = parent
    try:  # Linux: SIGTERM as soon as the parent dies
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if parent_gone():  # it died before the call above
        os._exit(1)


def parent_gone() -> bool:
    """Return True in a worker whose parent has died (it was re-parented)."""
    return _PARENT is not None and os.getppid() != _PARENT
