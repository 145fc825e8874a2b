"""Every line a user reads on stderr is Japanese first, with the English after it."""

from __future__ import annotations

import argparse

import pytest

from regionlib._errors import has_japanese
from regionlib.cli import build_parser, main

#: commands as the CLI tests run them (without -q, so warnings are said), good and bad
COMMANDS = [
    ["table", "--indicators", "aging_rate", "--pref", "鳥取県", "-o", "{tmp}/t.xlsx"],
    ["table", "--indicators", "aging_rate", "--pref", "福島県", "-o", "{tmp}/t.csv"],
    [
        "series",
        "population_registered",
        "--years",
        "2016-2017",
        "--pref",
        "鳥取県",
        "-o",
        "{tmp}/s.xlsx",
    ],
    ["series", "aging_rate", "--years", "2010-2020", "--pref", "鳥取県", "-o", "{tmp}/a.csv"],
    ["map", "aging_rate", "--pref", "鳥取県", "-o", "{tmp}/m.html"],
    ["map", "aging_rate", "--years", "2015,2020", "--pref", "鳥取県", "-o", "{tmp}/sm.pdf"],
    ["peers", "夕張市", "-o", "{tmp}/p.csv"],
    [
        "goodpractice",
        "夕張市",
        "--indicator",
        "population_registered",
        "--since",
        "2016",
        "-o",
        "{tmp}/gp.xlsx",
    ],
    ["regions", "--pref", "鳥取県", "--method", "ward", "--n-regions", "3", "--csv", "{tmp}/r.csv"],
    ["neighbours", "--pref", "鳥取県", "-o", "{tmp}/n.csv"],
    ["indicators", "医師"],
    ["indicators", "存在しない指標名"],
    # refused input: one error line each
    ["map", "高齢率", "-o", "{tmp}/x.html"],
    ["table", "--indicators", "foo", "-o", "{tmp}/f.csv"],
    ["peers", "夕張"],
    ["peers", "府中市"],
    ["peers", "夕張市", "--k", "0"],
    ["report", "札幌市中央区", "-o", "{tmp}/w.html"],
    ["table", "-o", "{tmp}/t.docx"],
    ["map", "aging_rate", "--scheme", "foo", "-o", "{tmp}/x.html"],
    ["regions", "--pref", "鳥取県"],
    ["data", "fetch"],
]
#: argument errors argparse itself reports
ARGUMENT_ERRORS = [["table"], ["report"], ["peers", "夕張市", "--k", "x"], ["nosuchcommand"]]


def _english_only(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not has_japanese(line)]


@pytest.mark.slow
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_no_english_only_line_on_stderr(argv, mirror_dir, tmp_path, capsys):
    from regionlib import _log

    _log._said.clear()  # each warning is said once per process: say it again here
    main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    captured = capsys.readouterr()
    assert _english_only(captured.err) == []


@pytest.mark.parametrize("argv", ARGUMENT_ERRORS, ids=" ".join)
def test_argument_errors_are_japanese_first(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert _english_only(err) == [] and "usage:" not in err
    assert err.splitlines()[0].split("error: ")[0].endswith("エラー / ")


def test_every_help_text_is_japanese_first():
    """Every option and subcommand of ``--help`` (goodpractice, report, functional …)."""
    english = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}")
                for choice in action._choices_actions:
                    if not has_japanese(choice.help or ""):
                        english.append(f"{name} {choice.dest}")
            elif action.help not in (None, argparse.SUPPRESS) and not has_japanese(action.help):
                english.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
        if parser.description and not has_japanese(parser.description.splitlines()[0]):
            english.append(f"{name} (description)")

    walk(build_parser(), "regionlib")
    assert english == []
