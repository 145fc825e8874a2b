"""Command-line interface: ``regionlib SUBCOMMAND …``.

Each subcommand lives in its own module of this package, exposes ``register(subparsers)`` and
calls only regionlib's public functions. Errors regionlib raises on bad input are printed as one
line and give exit code 2; unexpected errors keep their traceback.

Before a command runs, an output that is one of its input files (``--flows od.csv -o od.csv``)
is refused. While it runs, warnings of the libraries underneath (numpy, pandas, GDAL) are
collected and said once each in regionlib's words; with ``-q`` nothing but an error line
reaches stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import logging
import os
import pkgutil
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import NoReturn

import regionlib
from regionlib import settings
from regionlib._errors import RegionlibError, japanese_first

#: subcommand -> the module of this package that registers it (a test checks it is complete)
COMMANDS = {
    "atlas": "atlas",
    "boundaries": "boundaries",
    "compare": "compare",
    "data": "data",
    "demo": "demo",
    "functional": "functional",
    "goodpractice": "goodpractice",
    "kpi": "kpi",
    "map": "maps",
    "regions": "regions",
    "neighbours": "regions",
    "neighbors": "regions",
    "report": "report",
    "series": "series",
    "peers": "similarity",
    "pyramid": "population",
    "project": "population",
    "clusters": "similarity",
    "table": "table",
    "indicators": "table",
}


def _command_modules(argv: Sequence[str] | None = None) -> list:
    """Import the modules of this package that register the subcommands asked for.

    With ``argv`` naming a subcommand, only its module is imported (a command pays for no
    other command's imports); otherwise (``--help``, no or an unknown command) every public
    module. The modules are cheap to import: they import pandas and regionlib's data modules
    inside the command functions, so ``regionlib --help`` and argument errors answer at once.
    """
    command = next((a for a in argv or [] if not a.startswith("-")), None)
    if command in COMMANDS:
        names = [COMMANDS[command]]
    else:
        names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


_DESCRIPTION = """\
日本の市区町村を比べる：指標の表、似た市区町村、広域リージョン、オフライン地図。
Compare Japan's municipalities: tables, peers, regions and offline maps.

出力は標準出力に、注意が必要な点だけを標準エラーに表示します（-v ですべての記録、-q でエラーのみ）。
Results go to stdout; stderr shows only warnings that matter (-v: every note, -q: errors only).
"""


def _add_verbosity(parser: argparse.ArgumentParser, *, default: object) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="処理の記録もすべて表示 / also show information lines (rows left out, files read)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default,
        help="エラーのみ表示 / errors only: no warnings, no progress bars",
    )


class _Formatter(argparse.HelpFormatter):
    """Wrap each line of a description on its own: the Japanese and English stay apart."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(
            super(_Formatter, self)._fill_text(p, width, indent) for p in text.splitlines()
        )


#: argparse's own messages, said in Japanese before its English
_ARGPARSE_JA = (
    ("the following arguments are required", "必要な引数がありません"),
    ("unrecognized arguments", "知らない引数があります"),
    ("invalid choice", "選べない値です"),
    ("expected one argument", "値が1つ必要です"),
    ("expected at least one argument", "値が1つ以上必要です"),
    ("invalid int value", "整数ではありません"),
    ("invalid float value", "数値ではありません"),
    ("not allowed with argument", "同時に指定できない引数があります"),
    ("ambiguous option", "省略した引数名が複数に当てはまります"),
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one Japanese-first line (no English usage block)."""

    def error(self, message: str) -> NoReturn:
        ja = next((j for en, j in _ARGPARSE_JA if en in message), "引数が正しくありません")
        self.exit(
            2,
            f"{self.prog}: エラー / error: {ja} / {message}"
            f"（使い方は {self.prog} --help / see {self.prog} --help）\n",
        )


class _Version(argparse.Action):
    """``--version``, reading the installed version only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="バージョン / show the version")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"regionlib {regionlib.__version__}")
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand registered.

    Parameters
    ----------
    argv
        The arguments to be parsed: when they name a subcommand, only that subcommand's module
        is imported and registered.

    Returns
    -------
    argparse.ArgumentParser
        The ``regionlib`` parser.
    """
    parser = _Parser(
        prog="regionlib",
        description=_DESCRIPTION,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action=_Version)
    _add_verbosity(parser, default=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules(argv):
        module.register(sub)
    seen: set[int] = set()
    for command in sub.choices.values():  # -v/-q also after the subcommand
        if id(command) not in seen:
            seen.add(id(command))
            _add_verbosity(command, default=argparse.SUPPRESS)
    _set_formatter(parser)
    return parser


def _set_formatter(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = _Formatter
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = "使い方を表示して終了 / show this help message and exit"
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _set_formatter(sub)


def configure_output(*, verbose: bool = False, quiet: bool = False) -> None:
    """Set what the command line prints on stderr.

    Parameters
    ----------
    verbose
        Every information line (``settings.log_console``).
    quiet
        Errors only: no warnings, no progress bars.
    """
    settings.log_console = bool(verbose) and not quiet
    settings.log_warnings = not quiet
    if quiet:
        settings.progress = False


#: options naming files a command reads, and files or folders it writes
_INPUT_OPTIONS = ("join", "flows", "blocks", "input", "levels", "targets", "areas", "projection")
_OUTPUT_OPTIONS = ("output", "csv", "compare", "profiles", "evidence", "report", "map", "example")


def _option_paths(args: argparse.Namespace, names: Sequence[str]) -> list[str]:
    paths = []
    for name in names:
        value = getattr(args, name, None)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v and v != "-":
                paths += v.split(",") if name == "levels" else [v]
    return paths


#: what common library warnings mean, in regionlib's words (Japanese first)
_LIBRARY_WARNINGS = (
    (
        ("divide by zero", "invalid value encountered"),
        "計算の途中に0による割り算か欠損があり、その値は空欄です / a computation divided by zero "
        "or met a missing value; those results are blank",
    ),
    (
        ("overflow encountered",),
        "大きすぎて計算できない値がありました / a value was too large to compute",
    ),
    (
        ("Mean of empty slice", "All-NaN", "Degrees of freedom <= 0"),
        "値のない集計があり、その結果は空欄です / a summary had no values; it is blank",
    ),
)


def _library_warning(message: warnings.WarningMessage) -> str:
    text = str(message.message).strip().splitlines()[0] if str(message.message).strip() else ""
    for needles, said in _LIBRARY_WARNINGS:
        if any(n in text for n in needles):
            return said
    return f"ライブラリの警告 / a library warned ({message.category.__name__}): {text}"


@contextlib.contextmanager
def _library_warnings() -> Iterator[None]:
    """Collect the warnings of the libraries; say each once as a regionlib warning."""
    from regionlib._log import log

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            said = []
            for message in caught:
                if issubclass(message.category, DeprecationWarning | PendingDeprecationWarning):
                    continue  # for developers, not users
                line = _library_warning(message)
                if line not in said:
                    said.append(line)
    for message in caught:  # back to the caller's filters (tests make them errors)
        if issubclass(message.category, DeprecationWarning | PendingDeprecationWarning):
            warnings.warn_explicit(
                message.message, message.category, message.filename, message.lineno
            )
    for line in said:
        log(line, level=logging.WARNING, ja=line.split(" / ")[0])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 on a regionlib error (bad input, missing data, unwritable output),
        130 when interrupted.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    saved = (settings.log_console, settings.log_warnings, settings.progress, settings._command_line)
    configure_output(verbose=args.verbose, quiet=args.quiet)
    settings._command_line = True
    stderr = sys.stderr  # -q: only the error line below reaches it
    quiet = contextlib.redirect_stderr(io.StringIO()) if args.quiet else contextlib.nullcontext()
    try:
        from regionlib._write import check_not_input

        check_not_input(_option_paths(args, _OUTPUT_OPTIONS), _option_paths(args, _INPUT_OPTIONS))
        with quiet, _library_warnings():
            return int(args.func(args) or 0)
    except RegionlibError as exc:
        print(f"regionlib {args.command}: エラー / error: {japanese_first(exc)}", file=stderr)
        return 2
    except KeyboardInterrupt:
        print(f"regionlib {args.command}: 中断しました / interrupted", file=stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
        return 0
    finally:  # a caller in the same process (tests, scripts) keeps its own settings
        (
            settings.log_console,
            settings.log_warnings,
            settings.progress,
            settings._command_line,
        ) = saved


if __name__ == "__main__":
    sys.exit(main())
