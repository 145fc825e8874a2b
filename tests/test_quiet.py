"""Quiet by default, quick to start: what the command line and notebooks print, and import cost."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys

import pytest

import regionlib
from regionlib import _log, settings
from regionlib.cli import build_parser, main

HEAVY = ("pandas", "numpy", "geopandas", "sklearn", "matplotlib", "folium", "pooch", "requests")


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.strip()


def test_import_and_help_load_no_heavy_module():
    code = (
        "import sys, regionlib; from regionlib.cli import build_parser; build_parser(); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert _run(code) == "[]"


def test_submodules_load_on_first_use():
    code = "import sys, regionlib as rl; a = 'regionlib.data.table' in sys.modules; rl.table; print(a, 'regionlib.data.table' in sys.modules)"
    assert _run(code) == "False True"
    assert "maps" in dir(regionlib) and "RegionlibError" in regionlib.__all__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = regionlib.nope


def test_errors_are_public():
    for name in ("DataFetchError", "DataFormatError", "UnknownNameError", "OutputError"):
        assert issubclass(getattr(regionlib, name), regionlib.RegionlibError)
        assert name in regionlib.__doc__


def _parsers(parser: argparse.ArgumentParser, path: str = "regionlib"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    yield from _parsers(sub, f"{path} {name}")


def _has_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_option_has_help_and_every_command_speaks_both_languages():
    missing, monolingual = [], []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if not action.help and not isinstance(action, argparse._SubParsersAction):
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        text = parser.description or ""
        if not (_has_japanese(text) and any(c.isascii() and c.isalpha() for c in text)):
            monolingual.append(path)
    assert missing == []
    assert monolingual == []


def test_option_names_are_consistent():
    for path, parser in _parsers(build_parser()):
        options = {s for a in parser._actions for s in a.option_strings}
        if "--prefectures" in options:
            assert "--pref" in options, path
        for action in parser._actions:
            if "--missing" in action.option_strings:
                assert set(action.choices) <= {"drop", "impute", "raise"}, path


def test_every_subcommand_is_registered_by_its_module_alone():
    from regionlib import cli

    every = build_parser()
    (sub,) = [a for a in every._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == set(cli.COMMANDS)
    for command in cli.COMMANDS:
        alone = build_parser([command, "--help"])
        (only,) = [a for a in alone._actions if isinstance(a, argparse._SubParsersAction)]
        assert command in only.choices


def test_cli_constants_match_the_library():
    from regionlib import maps, printmaps, similarity
    from regionlib.cli import maps as cli_maps
    from regionlib.cli import similarity as cli_similarity

    assert tuple(maps.SCHEMES) == cli_maps.SCHEME_NAMES
    assert set(cli_maps.MAP_SUFFIXES) == {".html", ".htm", *printmaps.FORMATS}
    assert set(cli_maps.PRINT_SUFFIXES) == set(printmaps.FORMATS)
    assert tuple(similarity.METHODS) == cli_similarity.CLUSTER_METHODS


@pytest.fixture
def fresh_log(monkeypatch):
    monkeypatch.setattr(_log, "_said", set())
    for name in ("log_console", "log_warnings", "progress"):
        monkeypatch.setattr(settings, name, getattr(settings, name))


def test_levels_and_once(fresh_log, capsys):
    settings.log_console, settings.log_warnings = False, True
    _log.log("an information line")
    _log.log("values left out", level=logging.WARNING)
    _log.log("values left out", level=logging.WARNING)
    err = capsys.readouterr().err
    assert err == "regionlib: 注意 / warning: values left out\n"
    settings.log_console = True
    _log.log("an information line")
    assert capsys.readouterr().err == "regionlib: an information line\n"
    settings.log_console, settings.log_warnings = False, False
    _log.log("something else left out", level=logging.WARNING)
    assert capsys.readouterr().err == ""


def test_information_line_says_its_japanese_first(fresh_log, capsys):
    settings.log_console, settings.log_warnings = True, True
    _log.log("wrote t.csv", ja="書き出しました: t.csv")
    _log.log("t.csv: 空です / t.csv: empty", ja="t.csv: 空です")  # already bilingual: said once
    _log.log("values left out", level=logging.WARNING, ja="値を除外しました")
    assert capsys.readouterr().err.splitlines() == [
        "regionlib: 書き出しました: t.csv / wrote t.csv",
        "regionlib: t.csv: 空です / t.csv: empty",
        "regionlib: 注意 / warning: 値を除外しました / values left out",
    ]
    settings.log_console = False  # without -v: no information line, the warning as before
    _log._said.clear()
    _log.log("wrote t.csv", ja="書き出しました: t.csv")
    _log.log("values left out", level=logging.WARNING, ja="値を除外しました")
    assert (
        capsys.readouterr().err == "regionlib: 注意 / warning: 値を除外しました / values left out\n"
    )


def test_notebook_shows_one_japanese_line_on_stdout(fresh_log, capsys, monkeypatch):
    monkeypatch.setattr(_log, "in_notebook", lambda: True)
    settings.log_console, settings.log_warnings = False, True
    _log.log("features: left out 4 municipalities", level=logging.WARNING, ja="4 市区町村を除外")
    _log.log("an information line")
    out = capsys.readouterr()
    assert out.out == "⚠ regionlib: 4 市区町村を除外\n"
    assert out.err == ""


def test_notebook_warning_without_japanese_is_one_short_line(fresh_log, capsys, monkeypatch):
    monkeypatch.setattr(_log, "in_notebook", lambda: True)
    settings.log_console, settings.log_warnings = False, True
    _log.log("x" * 300, level=logging.WARNING)
    line = capsys.readouterr().out.rstrip("\n")
    assert "\n" not in line and line.startswith("⚠ regionlib: 注意: xxx") and len(line) < 100


def test_interrupt_is_one_line_and_exit_130(monkeypatch, capsys):
    from regionlib.cli import table as cli_table

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_table, "_indicators", interrupted)
    assert main(["indicators"]) == 130
    assert capsys.readouterr().err == "regionlib indicators: 中断しました / interrupted\n"


def test_progress_only_on_a_terminal(fresh_log, monkeypatch):
    settings.progress = True
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not _log.show_progress()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert _log.show_progress() and not _log.show_progress(False)


def test_verbosity_flags(fresh_log):
    parser = build_parser()
    for argv, console, warnings in [
        (["table", "-o", "t.csv"], False, True),
        (["-v", "table", "-o", "t.csv"], True, True),
        (["table", "-o", "t.csv", "-q"], False, False),
    ]:
        args = parser.parse_args(argv)
        from regionlib.cli import configure_output

        configure_output(verbose=args.verbose, quiet=args.quiet)
        assert (settings.log_console, settings.log_warnings) == (console, warnings), argv


@pytest.mark.slow
def test_warm_table_prints_only_its_output_line(mirror_dir, tmp_path, capsys, fresh_log):
    out = tmp_path / "t.csv"
    assert main(["table", "-o", str(out)]) == 0  # warms the cache if needed
    capsys.readouterr()
    _log._said.clear()
    assert main(["table", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.out == ""
    lines = printed.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("1741 市区町村 × ")
    assert lines[0].endswith(f" 指標 -> {out}")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["table", "--indicators", "", "-o", "{tmp}/t.csv"], "--indicators names no indicator"),
        (["peers", "夕張市", "--indicators", ",", "-o", "{tmp}/p.csv"], "names no indicator"),
        (["data", "fetch"], "name datasets or groups, or pass --all"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, capsys, argv, message):
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_collected_warnings_are_held_back_and_listed_once(fresh_log, capsys, monkeypatch):
    monkeypatch.setattr(_log, "in_notebook", lambda: True)
    settings.log_console, settings.log_warnings = False, True
    with _log.collect_warnings() as held:
        _log.log("features: left out 4", level=logging.WARNING, ja="4 市区町村を除外")
        _log.log("features: left out 4", level=logging.WARNING, ja="4 市区町村を除外")
        _log.log("graph: 60 island links", level=logging.WARNING)
    assert held == ["4 市区町村を除外", "注意: graph: 60 island links"]
    assert capsys.readouterr().out == ""
    _log.log("after the block", level=logging.WARNING, ja="ブロックの後")
    assert capsys.readouterr().out == "⚠ regionlib: ブロックの後\n"


def test_collected_warnings_still_shown_with_verbose(fresh_log, capsys):
    settings.log_console, settings.log_warnings = True, True
    with _log.collect_warnings() as held:
        _log.log("values left out", level=logging.WARNING)
    assert held == []
    assert "regionlib: 注意 / warning: values left out" in capsys.readouterr().err


def test_deferred_warnings_said_after_success_dropped_on_error(fresh_log, capsys):
    settings.log_console, settings.log_warnings = False, True
    with _log.deferred_warnings():
        _log.log("graph: islands bridged", level=logging.WARNING)
        assert capsys.readouterr().err == ""  # held while the block runs
    assert capsys.readouterr().err == "regionlib: 注意 / warning: graph: islands bridged\n"
    with pytest.raises(ValueError), _log.deferred_warnings():
        _log.log("graph: other islands bridged", level=logging.WARNING)
        raise ValueError("bad block layer")
    assert capsys.readouterr().err == ""


def test_refused_block_layer_is_one_line(mirror_dir, tmp_path, capsys, fresh_log):
    from regionlib.cli import main

    layer = tmp_path / "blocks.csv"
    layer.write_text("code,block\n01100,A\n01202,B\n", encoding="utf-8")
    argv = ["regions", "--floor", "population:200000", "--csv", str(tmp_path / "r.csv")]
    assert main([*argv, "--blocks", str(layer)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "blocks.csv leaves 1739 municipalities without a block" in err[0]
    levels = ["regions", "--levels", f"commuting_zones,{layer}", "--csv", str(tmp_path / "n.csv")]
    assert main(levels) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1
