"""Data in: the registry and cache, codes and names, boundaries, readers, the catalogue, tables.

Modules here import only the core (``regionlib.settings``, ``_errors``, ``_log``, ``_write``)
and each other, never :mod:`regionlib.analysis`, :mod:`regionlib.outputs` or the CLI.
"""
