"""Every line a user reads on stderr is Japanese first, with the English after it."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

import regionlib
from regionlib._errors import DataFormatError, has_japanese, japanese_first
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


#: modules whose error messages are all Japanese first (add a module here once it is converted)
BILINGUAL_MODULES = [
    "outputs/_figure.py",
    "outputs/printmaps.py",
    "outputs/pyramid.py",
    "_write.py",
    "analysis/areas.py",
    "analysis/evaluate.py",
    "analysis/features.py",
    "analysis/goodpractice.py",
    "analysis/graph.py",
    "analysis/kpi.py",
    "analysis/nested.py",
    "analysis/projection.py",
    "analysis/regions/_api.py",
    "analysis/regions/_problem.py",
    "analysis/regions/_table.py",
    "analysis/regions/functional.py",
    "analysis/regions/maxp.py",
    "analysis/regions/skater.py",
    "analysis/regions/ward.py",
    "analysis/similarity.py",
    "analysis/spatial.py",
    "analysis/workshop.py",
    "cli/_common.py",
    "cli/kpi.py",
    "cli/maps.py",
    "cli/population.py",
    "cli/report.py",
    "cli/similarity.py",
    "cli/table.py",
    "data/_userfile.py",
    "data/_validate.py",
    "data/boundaries.py",
    "data/codes.py",
    "data/datasets.py",
    "data/indicators.py",
    "data/money.py",
    "data/panel.py",
    "data/population.py",
    "data/readers.py",
    "data/references.py",
    "data/userdata.py",
    "outputs/_html.py",
    "outputs/_mapstyle.py",
    "outputs/areapage.py",
    "outputs/compare.py",
    "outputs/demo.py",
    "outputs/export.py",
    "outputs/maps.py",
    "outputs/report.py",
]
#: (module, function) whose English-only looking message is bilingual by other means
ALLOWED_ENGLISH = {
    # the message is f"{ja} / {en}", both built a few lines above
    ("data/indicators.py", "_base_name"),
}


def _error_classes(package: Path) -> set[str]:
    """Names of RegionlibError and of every subclass defined in the package."""
    import regionlib._errors as errors

    found = {
        name
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, errors.RegionlibError)
    }
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in package.rglob("*.py")]
    grown = True
    while grown:
        grown = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in found:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & found:
                        found.add(node.name)
                        grown = True
    return found


def _texts(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _english_messages(path: Path, classes: set[str]) -> list[tuple[str, int, str]]:
    """(function, line, message source) of each raise whose message has no Japanese."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    found, seen = [], set()
    for function in [*sorted(functions, key=lambda f: -f.lineno), tree]:  # innermost first
        assigned: dict[str, list[ast.Assign]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node)
        for node in ast.walk(function):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in classes or not node.exc.args or node in seen:
                continue
            seen.add(node)
            message = node.exc.args[0]
            messages = [message]
            if isinstance(message, ast.Name):  # msg = "..."; raise Error(msg): each text of msg
                messages = [a.value for a in assigned.get(message.id, []) if a.lineno < node.lineno]
            for text in messages:
                if text in seen:  # a message raised at several places: said once
                    continue
                seen.add(text)
                texts = _texts(text)
                if not any(re.search("[A-Za-z]", t) for t in texts):
                    continue  # only values passed on, e.g. f"{where}: {exc}" of a bilingual error
                head = "{}".join(texts).split(" / ")[0]  # what is said before the English
                if not has_japanese(head) or " / " not in "{}".join(texts):
                    where = getattr(function, "name", "<module>")
                    found.append((where, text.lineno, ast.unparse(text)))
    return found


def test_every_error_message_is_japanese_first():
    """``raise SomeRegionlibError("english only")`` is refused anywhere in the package."""
    package = Path(regionlib.__file__).parent
    classes = _error_classes(package)
    assert {"RegionlibError", "DataFormatError", "AreaError", "KpiError"} <= classes
    modules = sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py"))
    assert set(BILINGUAL_MODULES) <= set(modules)  # the list names files that exist
    english = []
    for module in modules:
        for function, line, text in _english_messages(package / module, classes):
            if (module, function) not in ALLOWED_ENGLISH:
                english.append(f"{module}:{line} ({function}): {text}")
    assert english == []


def test_the_language_check_catches_an_english_message(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "def f(x):\n"
        "    if x:\n"
        "        msg = f'{x}: too large'\n"
        "        if x > 1:\n"
        "            msg = f'{x}: 数値ではありません / {x}: not a number'\n"
        "        raise DataFormatError(msg)\n"
        "    raise DataFormatError(f'{x}: 数値ではありません / {x}: not a number')\n"
        "def g(exc, x):\n"
        "    if x:\n"
        "        raise OutputError(f'{x}: no header row with 団体名')\n"
        "    raise OutputError(f'{exc}')\n",
        encoding="utf-8",
    )
    found = _english_messages(source, {"DataFormatError", "OutputError"})
    assert sorted((f, line) for f, line, _ in found) == [("f", 3), ("g", 10)]


def _log_calls_without_japanese(path: Path) -> list[tuple[int, str]]:
    """(line, call source) of each ``log(...)`` / ``_log.log(...)`` call with no Japanese ``ja=``.

    ``ja=`` given as a name (``ja=ja``, a text built earlier) counts; given as a literal or an
    f-string, its literal text must hold Japanese. ``np.log`` and ``logger.log`` are not ours.
    """
    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        ours = (isinstance(func, ast.Name) and func.id == "log") or (
            isinstance(func, ast.Attribute)
            and func.attr == "log"
            and isinstance(func.value, ast.Name)
            and func.value.id == "_log"
        )
        if not ours:
            continue
        ja = next((k.value for k in node.keywords if k.arg == "ja"), None)
        literal = isinstance(ja, ast.Constant | ast.JoinedStr)
        if ja is None or (literal and not has_japanese("".join(_texts(ja)))):
            found.append((node.lineno, ast.get_source_segment(source, node) or ""))
    return found


def test_every_log_call_has_a_japanese_line():
    """Information (-v) and warnings alike: every ``log(...)`` in the package gives ``ja=``.

    No exceptions: an information line prints as ``regionlib: {ja} / {message}``.
    """
    package = Path(regionlib.__file__).parent
    missing = [
        f"{path.relative_to(package).as_posix()}:{line}: {call}"
        for path in sorted(package.rglob("*.py"))
        for line, call in _log_calls_without_japanese(path)
    ]
    assert missing == []


def test_the_log_check_catches_a_call_without_japanese(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "def f(n, ja):\n"
        "    log(f'{n} rows')\n"
        "    log(f'{n} rows', ja=f'{n} 行')\n"
        "    _log.log('left out', level=WARNING)\n"
        "    log('left out', ja=ja)\n"
        "    log(f'{n} rows', ja=f'{n} rows')\n"
        "    np.log(n)\n"
        "    logger.log(20, 'x')\n",
        encoding="utf-8",
    )
    found = _log_calls_without_japanese(source)
    assert [line for line, _ in found] == [2, 4, 6]


@pytest.mark.slow
def test_information_lines_are_japanese_first(mirror_dir, tmp_path, capsys):
    """``regionlib -v``: every information line on stderr says its Japanese first."""
    from regionlib import _log

    _log._said.clear()  # each line is said once per process: say it again here
    argv = ["-v", "regions", "--pref", "鳥取県", "--method", "ward", "--n-regions", "3"]
    assert main([*argv, "--csv", str(tmp_path / "r.csv")]) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("regionlib: ")]
    info = [x.removeprefix("regionlib: ") for x in lines if "warning: " not in x]
    assert (
        "地域区分: ward で 19 市区町村を 3 地域に分けました / "
        "regions: ward made 3 regions from 19 municipalities"
    ) in info
    assert [x for x in info if " / " not in x or not has_japanese(x.split(" / ")[0])] == []


@pytest.mark.parametrize(
    "message",
    [
        "population_2020.csv: 空のファイルです / the user file is empty",
        "data/人口/population_2020.csv: 空のファイルです / the user file is empty",
        "2024-population_by_municipality.xlsx の 12 行目: '夕張' を特定できません / line 12",
        "市区町村 '夕張' が見つかりません / unknown municipality '夕張'; 候補 / did you mean: 夕張市?",
        "夕張市: 人口がありません",
    ],
)
def test_a_bilingual_message_is_said_as_it_is(message):
    """Japanese before the first `` / `` (however long the file name in front) is enough."""
    assert japanese_first(DataFormatError(message)) == message


@pytest.mark.parametrize(
    "message",
    [
        "population_2020.csv: the user file is empty",
        "population_2020.csv: 空のファイルです",  # no ' / ': Japanese must open the message
        "data/人口.csv: the user file is empty",
        "'夕張' is not a municipality / check the name",
        "unknown indicator 'agin'; 候補 / did you mean: aging_rate?",
    ],
)
def test_an_english_message_gets_the_japanese_summary_in_front(message):
    """Quoted names, paths and the suggestions do not make a message Japanese first."""
    said = japanese_first(DataFormatError(message))
    assert said == f"データの形式が正しくありません / {message}"


def test_a_file_error_on_the_command_line_is_said_once_japanese_first(mirror_dir, tmp_path, capsys):
    """``{file}: 日本語 / English`` with a long file name: no generic summary in front of it."""
    path = tmp_path / "population_by_municipality_2020.csv"
    path.write_text("", encoding="utf-8")
    out = tmp_path / "t.csv"
    assert (
        main(["-q", "table", "--indicators", "aging_rate", "--join", str(path), "-o", str(out)])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"regionlib table: エラー / error: {path.name}: 空のファイルです / ")
    assert DataFormatError.ja not in err and not out.exists()


def test_the_join_report_is_japanese_first(mirror_dir, tmp_path):
    """A user's join report: a Japanese line, then the English one; every detail Japanese first."""
    from regionlib.data import table, userdata

    path = tmp_path / "u.csv"
    path.write_text(
        "code,value\n01100,5\n1202,7\n13100,4\n01101,3\n04423,2\n,1\n", encoding="utf-8"
    )
    t = userdata.join_user_table(table.load_table(["aging_rate"], geometry=False), path)
    lines = str(t.attrs["user_join_report"]).splitlines()
    assert lines[0].startswith("結合の記録（u.csv、コードで照合")
    assert lines[1].startswith("join report (u.csv, by code")
    for line in lines[2:]:
        assert has_japanese(line.split(" / ")[0]), line
    text = "\n".join(lines)
    assert "政令指定都市の区 / ward" in text
    assert "表に該当する市区町村がありません / no municipality of the table" in text
    assert "コードがありません / no code" in text
