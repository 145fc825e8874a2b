"""Logging helper: one logger, console output switched by ``settings.log_console``."""

from __future__ import annotations

import logging
import sys

from regionlib import settings

logger = logging.getLogger("regionlib")
_handler: logging.Handler | None = None


def log(message: str, level: int | None = None) -> None:
    """Log ``message`` on the ``regionlib`` logger, echoing it to stderr if configured.

    Parameters
    ----------
    message
        The text of the record.
    level
        Logging level; default ``settings.log_level``.
    """
    global _handler
    level = settings.log_level if level is None else level
    if settings.log_console and _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("regionlib: %(message)s"))
        logger.addHandler(_handler)
        logger.setLevel(logging.DEBUG)
    elif not settings.log_console and _handler is not None:
        logger.removeHandler(_handler)
        _handler = None
    logger.log(level, message)
