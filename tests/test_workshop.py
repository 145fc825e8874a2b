"""The workshop's check cells accept the solutions and reject wrong answers (real data via mirror).

Also: the workshop notebooks check every exercise, the solutions notebook answers every one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from regionlib import workshop
from regionlib._errors import UnknownNameError

ROOT = Path(__file__).resolve().parents[1]
IDS = list(workshop.EXERCISES)


@pytest.fixture(scope="module")
def solutions(mirror_dir) -> dict[str, object]:
    return {e: workshop.solution(e) for e in IDS}


@pytest.mark.parametrize("exercise_id", IDS)
def test_solution_is_accepted(exercise_id, solutions, capsys):
    assert workshop.check(exercise_id, solutions[exercise_id]) is True
    assert "正解です" in capsys.readouterr().out


@pytest.mark.parametrize("exercise_id", IDS)
def test_typical_mistakes_are_rejected_and_explained(exercise_id, solutions, capsys):
    exercise = workshop.EXERCISES[exercise_id]
    mistakes = [(v, why) for v, why in exercise.mistakes() if v != solutions[exercise_id]]
    if exercise.kind == "choice":  # the other choice is the typical mistake
        other = next(c for c in exercise.choices if c != solutions[exercise_id])
        mistakes = [(other, "ヒント: " + exercise.hint)]
    assert mistakes, f"{exercise_id} has no wrong answer to test"
    for value, why in mistakes:
        capsys.readouterr()
        assert workshop.check(exercise_id, value) is False
        out = capsys.readouterr().out
        assert "不正解です" in out
        assert why in out


def test_known_values(solutions):
    # single values pinned on the 2021 boundaries and the 2020 census
    assert solutions["e1_oldest"] == "10383"  # 群馬県南牧村
    assert solutions["e3_decline_count"] == 1419
    assert isinstance(solutions["e5_best_k"], int)
    assert solutions["e8_homogeneous"] in {"ward", "skater"}


def test_numbers_within_tolerance(solutions):
    value = solutions["e2_akita_median"]
    assert workshop.check("e2_akita_median", round(value, 1), verbose=False)
    assert workshop.check("e2_akita_median", f"{value:.2f}", verbose=False)  # text is read too
    assert not workshop.check("e2_akita_median", value + 0.2, verbose=False)
    assert workshop.check("e4_tokyo_income", round(solutions["e4_tokyo_income"]), verbose=False)
    assert not workshop.check("e4_tokyo_income", solutions["e4_tokyo_income"] + 5, verbose=False)


def test_municipality_by_name_or_code(solutions):
    assert workshop.check("e1_oldest", "群馬県南牧村", verbose=False)
    assert workshop.check("e1_oldest", 10383, verbose=False)
    assert not workshop.check("e1_oldest", "北海道夕張市", verbose=False)


@pytest.mark.parametrize(
    ("exercise_id", "answer", "message"),
    [
        ("e1_oldest", ..., "答えがまだ入っていません"),
        ("e1_oldest", None, "答えがまだ入っていません"),
        ("e1_oldest", "府中市", "2つあります（東京都府中市、広島県府中市）"),  # ambiguous name
        ("e1_oldest", "存在しない村", "「存在しない村」という市区町村は見つかりません"),
        ("e1_oldest", "北海道夕張", "もしかして: 北海道夕張市"),
        ("e1_oldest", 99999, "コード 99999 の市区町村はありません"),
        ("e2_akita_median", "たくさん", "数値で答えてください"),
        ("e2_akita_median", float("nan"), "NaN"),
        ("e2_akita_median", pd.Series([1.0, 2.0]), "1つの値で答えてください"),
        ("e3_decline_count", 1419.5, "整数で答えてください"),
        ("e8_homogeneous", "maxp", "'ward' か 'skater'"),
    ],
)
def test_unreadable_answers_are_explained(exercise_id, answer, message, capsys, mirror_dir):
    assert workshop.check(exercise_id, answer) is False
    out = capsys.readouterr().out
    assert message in out
    # learners read Japanese: no English sentence from the name resolver leaks through
    assert not any(word in out for word in ("ambiguous", "unknown", "municipal", "did you mean"))


def test_unknown_exercise_suggests():
    with pytest.raises(UnknownNameError, match="e1_oldest"):
        workshop.check("e1_oldst", 1)
    with pytest.raises(UnknownNameError):
        workshop.solution("nope")


def test_exercise_list():
    table = workshop.exercises()
    assert list(table.index) == IDS
    assert table["question"].str.startswith("問").all()
    assert workshop.question("e3_decline_count").startswith("問3")


def _sources(name: str, cell_type: str) -> str:
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == cell_type)


def test_workshop_notebook_asks_hints_and_checks_every_exercise():
    prose, code = _sources("05-workshop", "markdown"), _sources("05-workshop", "code")
    assert "90分の進め方" in prose
    for exercise_id, exercise in workshop.EXERCISES.items():
        assert exercise.question in prose  # full question text, as check() knows it
        assert exercise.hint in prose  # the hint, folded under 「ヒント」
        assert f'workshop.check("{exercise_id}", answer)' in code  # the learner's check cell
    assert "answer_" not in code  # no solution in the learners' notebook


def test_solutions_notebook_answers_every_exercise():
    code = _sources("05-workshop-solutions", "code")
    for exercise_id in IDS:
        assert f'assert workshop.check("{exercise_id}", answer_' in code
