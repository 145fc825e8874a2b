"""Command-line interface: ``regionlib SUBCOMMAND …``.

Each subcommand lives in its own module of this package, exposes ``register(subparsers)`` and
calls only regionlib's public functions. Errors regionlib raises on bad input are printed as one
line and give exit code 2; unexpected errors keep their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

import regionlib
from regionlib import settings
from regionlib._errors import RegionlibError


def _command_modules() -> list:
    """Import every public module of this package; each one registers one subcommand."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand registered.

    Returns
    -------
    argparse.ArgumentParser
        The ``regionlib`` parser.
    """
    parser = argparse.ArgumentParser(
        prog="regionlib",
        description="Compare Japan's municipalities: tables, peers, regions and offline maps.",
    )
    parser.add_argument("--version", action="version", version=regionlib.__version__)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or log lines")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 on a regionlib error (bad input, missing data).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quiet:
        settings.progress = False
    else:
        settings.log_console = True
    try:
        return int(args.func(args) or 0)
    except RegionlibError as exc:
        print(f"regionlib {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
