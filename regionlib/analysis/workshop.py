"""Workshop exercises with automatic checking, for classes on regional comparison.

The workshop notebook (``notebooks/05-workshop.ipynb``) asks a question per exercise and
follows it with a check cell::

    from regionlib.analysis import workshop
    print(workshop.question("e1_oldest"))
    answer = "..."  # the learner's answer
    workshop.check("e1_oldest", answer)

:func:`check` computes the right answer from the real data (through the public API, with the
default seed), prints 「正解です」 or says in Japanese what is wrong with a hint, and returns
``True`` or ``False``. Typical mistakes (a mean instead of a median, the minimum instead of
the maximum, missing values counted as declines …) are recognised and explained.
:func:`solution` returns the right answer, :func:`exercises` lists every exercise, and
:func:`regionlib.maps.show` displays an offline map inside a notebook.

Examples
--------
>>> from regionlib import workshop
>>> sorted(workshop.exercises().index)[:2]
['e1_oldest', 'e2_akita_median']
>>> workshop.check("e1_oldest", "東京都港区")  # doctest: +SKIP
不正解です。…
False
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from regionlib import settings
from regionlib._errors import (
    AmbiguousNameError,
    DataFetchError,
    RegionlibError,
    UnknownNameError,
    suggest,
)
from regionlib.data import codes

__all__ = [
    "EXERCISES",
    "TOHOKU",
    "TOKYO_AREA",
    "WORKSHOP_INDICATORS",
    "Exercise",
    "check",
    "exercises",
    "question",
    "solution",
]

#: the six prefectures of 東北, the workshop's region for regionalisation
TOHOKU: tuple[str, ...] = ("青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県")
#: 1都3県: the Tokyo area that 地方創生2.0 compares the regions with
TOKYO_AREA: tuple[str, ...] = ("埼玉県", "千葉県", "東京都", "神奈川県")
#: indicators used by the clustering, peer and region exercises
WORKSHOP_INDICATORS: tuple[str, ...] = (
    "aging_rate",
    "child_share",
    "population_change_2015_2020",
    "density_habitable",
    "income_per_taxpayer",
)
_FLOOR = 200_000


@dataclass(frozen=True)
class Exercise:
    """One workshop exercise.

    Attributes
    ----------
    id
        Identifier passed to :func:`check` and :func:`solution`.
    question
        The question, in Japanese.
    kind
        ``"municipality"`` (a code or an unambiguous name), ``"number"`` (compared with
        ``tolerance``), ``"integer"`` or ``"choice"`` (one of ``choices``).
    hint
        Said when the answer is wrong and no typical mistake is recognised.
    solve
        Computes the right answer from the data.
    mistakes
        Computes typical wrong answers: a list of ``(value, explanation)``.
    tolerance
        Absolute tolerance for ``"number"``.
    choices
        Allowed answers for ``"choice"``.
    """

    id: str
    question: str
    kind: str
    hint: str
    solve: Callable[[], object]
    mistakes: Callable[[], list[tuple[object, str]]] = field(default=lambda: [])
    tolerance: float = 0.0
    choices: tuple[str, ...] = ()


def _table(indicators: tuple[str, ...], prefectures: tuple[str, ...] | None = None):
    from regionlib.data import table

    if prefectures is None:
        return table.load_table(list(indicators), geometry=False)
    # subset of the national layer: load_table(prefectures=...) reads per-prefecture files,
    # whose borders between prefectures do not touch, so cross-prefecture neighbours would be lost
    national = table.load_table(list(indicators))
    return national[national["prefecture"].isin(prefectures)]


# --- the exercises: each solver uses only public functions, as a learner would -------------


def _oldest() -> str:
    return str(_table(("aging_rate",))["aging_rate"].idxmax())


def _oldest_mistakes() -> list[tuple[object, str]]:
    rate = _table(("aging_rate",))["aging_rate"]
    return [
        (
            str(rate.idxmin()),
            "それは高齢化率が最も「低い」市区町村です。sort_values(ascending=False) "
            "か idxmax() を使いましょう。",
        )
    ]


def _akita() -> pd.Series:
    t = _table(("aging_rate",))
    return t.loc[t["prefecture"] == "秋田県", "aging_rate"]


def _akita_median() -> float:
    return float(_akita().median())


def _akita_mistakes() -> list[tuple[object, str]]:
    national = _table(("aging_rate",))["aging_rate"]
    return [
        (float(_akita().mean()), "それは平均値です。問われているのは中央値（median）です。"),
        (
            float(national.median()),
            "それは全国の中央値です。prefecture 列で秋田県に絞り込みましょう。",
        ),
    ]


def _decline() -> pd.Series:
    return _table(("population_change_2015_2020",))["population_change_2015_2020"]


def _decline_count() -> int:
    return int((_decline() < 0).sum())


def _decline_mistakes() -> list[tuple[object, str]]:
    change = _decline()
    return [
        (
            int(len(change) - (change >= 0).sum()),
            "欠損値（2015年の人口が0の福島県の町）まで減少に数えています。"
            "増減率が負の市区町村だけを数えましょう（(change < 0).sum()）。",
        ),
        (int((change >= 0).sum()), "それは人口が増えた（または変わらない）市区町村の数です。"),
        (int((change <= 0).sum()), "増減率が0ちょうどの市区町村は「減少」に入りません。"),
    ]


def _income() -> pd.DataFrame:
    return _table(("income_per_taxpayer",))


def _tokyo_income() -> float:
    t = _income()
    return float(t.loc[t["prefecture"].isin(TOKYO_AREA), "income_per_taxpayer"].median())


def _tokyo_income_mistakes() -> list[tuple[object, str]]:
    t = _income()
    tokyo = t.loc[t["prefecture"].isin(TOKYO_AREA), "income_per_taxpayer"]
    return [
        (float(tokyo.mean()), "それは平均値です。問われているのは中央値（median）です。"),
        (
            float(t.loc[t["prefecture"] == "東京都", "income_per_taxpayer"].median()),
            "東京都だけの中央値です。1都3県（埼玉県・千葉県・東京都・神奈川県）を含めましょう。",
        ),
        (
            float(t["income_per_taxpayer"].median()),
            "それは全国の中央値です。1都3県に絞り込みましょう（isin(workshop.TOKYO_AREA)）。",
        ),
    ]


def _clustering():
    from regionlib.analysis import similarity

    return similarity.cluster_municipalities(
        _table(WORKSHOP_INDICATORS),
        list(WORKSHOP_INDICATORS),
        method="kmeans",
        k="auto",
        random_state=settings.random_state,
    )


def _best_k() -> int:
    return int(_clustering().k)


def _best_k_mistakes() -> list[tuple[object, str]]:
    evidence = _clustering().evidence
    best_ch = int(evidence["calinski_harabasz"].idxmax())
    return [
        (
            int(evidence.index.max()),
            "それは試した k の最大値です。evidence 表の chosen 列を見ましょう。",
        ),
    ] + (
        []
        if best_ch == _best_k()
        else [(best_ch, "Calinski–Harabasz 指数だけで選んでいます。mean_rank を見ましょう。")]
    )


def _peers():
    from regionlib.analysis import similarity

    return similarity.find_peers(
        _table(WORKSHOP_INDICATORS), "北海道夕張市", indicators=list(WORKSHOP_INDICATORS), k=5
    )


def _nearest_peer() -> str:
    return str(_peers().index[0])


def _peer_mistakes() -> list[tuple[object, str]]:
    peers = _peers()
    return [
        ("01209", "夕張市そのものではなく、夕張市に最も似た「別の」市区町村を答えましょう。"),
        (str(peers.index[-1]), "それは5番目に似た市区町村です。rank が 1 の行を見ましょう。"),
    ]


def _tohoku_regions(method: str):
    from regionlib.analysis import regions

    t = _table((*WORKSHOP_INDICATORS, "population_2020"), TOHOKU)
    return t, regions.regionalize(
        t,
        list(WORKSHOP_INDICATORS),
        method=method,
        floor=("population_2020", _FLOOR) if method == "maxp" else None,
        n_regions=None if method == "maxp" else 20,
        missing="median",
        random_state=settings.random_state,
    )


def _maxp_count() -> int:
    return int(_tohoku_regions("maxp")[1].nunique())


def _maxp_mistakes() -> list[tuple[object, str]]:
    t = _table(("population_2020",), TOHOKU)
    bound = int(t["population_2020"].sum() // _FLOOR)
    return [
        (
            bound,
            "それは「総人口 ÷ 20万人」の上限です。実際には隣接していないと同じリージョンに"
            "入れないので、regionalize の結果の nunique() を数えましょう。",
        ),
        (6, "それは東北の県の数です。regionalize(..., method='maxp') の結果を数えましょう。"),
    ]


def _more_homogeneous() -> str:
    from regionlib.analysis import evaluate

    ratios = {}
    for method in ("ward", "skater"):
        t, labels = _tohoku_regions(method)
        result = evaluate.evaluate(t, labels, columns=list(WORKSHOP_INDICATORS), missing="median")
        ratios[method] = float(result["ssd_ratio"])
    return min(ratios, key=ratios.get)


EXERCISES: dict[str, Exercise] = {
    e.id: e
    for e in [
        Exercise(
            "e1_oldest",
            "問1. 高齢化率（aging_rate）が全国で最も高い市区町村はどこですか？"
            "（コードか「都道府県名＋市区町村名」で答えてください）",
            "municipality",
            "load_table(['aging_rate']) の aging_rate 列で最大値の行を探しましょう（idxmax）。",
            _oldest,
            _oldest_mistakes,
        ),
        Exercise(
            "e2_akita_median",
            "問2. 秋田県の市町村の高齢化率の中央値は何％ですか？（小数第1位まで）",
            "number",
            "prefecture 列が '秋田県' の行に絞り、aging_rate の median() を計算しましょう。",
            _akita_median,
            _akita_mistakes,
            tolerance=0.05,
        ),
        Exercise(
            "e3_decline_count",
            "問3. 2015年から2020年に人口が減少した市区町村はいくつありますか？"
            "（population_change_2015_2020 が負の市区町村の数）",
            "integer",
            "(table['population_change_2015_2020'] < 0).sum() で数えられます。欠損値に注意。",
            _decline_count,
            _decline_mistakes,
        ),
        Exercise(
            "e4_tokyo_income",
            "問4. 1都3県（埼玉県・千葉県・東京都・神奈川県）の市区町村について、納税義務者1人当たり"
            "課税対象所得（income_per_taxpayer, 千円）の中央値はいくらですか？（千円, 整数で）",
            "number",
            "prefecture 列を isin(workshop.TOKYO_AREA) で絞り、median() を計算しましょう。",
            _tokyo_income,
            _tokyo_income_mistakes,
            tolerance=1.0,
        ),
        Exercise(
            "e5_best_k",
            "問5. workshop.WORKSHOP_INDICATORS の5指標で k-means クラスタリングを k='auto'"
            "（乱数シード0）で行うと、選ばれるクラスター数 k はいくつですか？",
            "integer",
            "similarity.cluster_municipalities(...) の結果の .k、または .evidence の chosen 列を"
            "見ましょう。",
            _best_k,
            _best_k_mistakes,
        ),
        Exercise(
            "e6_nearest_peer",
            "問6. workshop.WORKSHOP_INDICATORS の5指標で見て、北海道夕張市に最も似ている市区町村は"
            "どこですか？",
            "municipality",
            "similarity.find_peers(table, '北海道夕張市', indicators=...) の先頭の行です。",
            _nearest_peer,
            _peer_mistakes,
        ),
        Exercise(
            "e7_maxp_regions",
            "問7. 東北6県（workshop.TOHOKU）で、5指標について max-p 法（人口20万人以上の下限, "
            "floor=('population_2020', 200000), missing='median'）でリージョンを作ると、"
            "いくつのリージョンができますか？",
            "integer",
            "regions.regionalize(..., method='maxp', floor=...) の結果に nunique() を使いましょう。",
            _maxp_count,
            _maxp_mistakes,
        ),
        Exercise(
            "e8_homogeneous",
            "問8. 東北6県を20のリージョンに分けるとき、ward 法と skater 法のどちらが"
            "リージョン内平方和の割合（ssd_ratio）が小さい（より均質）ですか？"
            "（'ward' か 'skater' で）",
            "choice",
            "両方の方法で regionalize し、evaluate.evaluate(..., columns=...) の ssd_ratio を"
            "比べましょう。",
            _more_homogeneous,
            choices=("ward", "skater"),
        ),
    ]
}


def _get(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        msg = (
            f"演習 '{exercise_id}' はありません / "
            f"unknown exercise '{exercise_id}'{suggest(exercise_id, EXERCISES)}"
        )
        raise UnknownNameError(msg)
    return EXERCISES[exercise_id]


def exercises() -> pd.DataFrame:
    """List the workshop exercises.

    Returns
    -------
    pandas.DataFrame
        Index ``id``; columns ``question`` (Japanese) and ``kind``.
    """
    rows = [{"id": e.id, "question": e.question, "kind": e.kind} for e in EXERCISES.values()]
    return pd.DataFrame(rows).set_index("id")


def question(exercise_id: str) -> str:
    """Return the question of an exercise, in Japanese.

    Parameters
    ----------
    exercise_id
        Exercise identifier (see :func:`exercises`).

    Returns
    -------
    str
        The question.

    Raises
    ------
    UnknownNameError
        If there is no such exercise.
    """
    return _get(exercise_id).question


def solution(exercise_id: str) -> object:
    """Compute the right answer of an exercise from the data.

    Parameters
    ----------
    exercise_id
        Exercise identifier.

    Returns
    -------
    object
        A 5-digit code (``"municipality"``), a float, an int or a choice string.

    Raises
    ------
    UnknownNameError
        If there is no such exercise.
    """
    exercise = _get(exercise_id)
    key = (exercise_id, settings.random_state)
    if key not in _SOLVED:  # the data do not change within a session: solve once
        _SOLVED[key] = exercise.solve()
    return _SOLVED[key]


_SOLVED: dict[tuple[str, int], object] = {}


def _normalise(exercise: Exercise, answer: object) -> tuple[object, str | None]:
    """Turn an answer into a comparable value, or explain why it cannot be read."""
    if answer is None or (isinstance(answer, str) and not answer.strip()) or answer is ...:
        return None, "答えがまだ入っていません。answer = ... の ... を答えに置き換えてください。"
    if isinstance(answer, pd.Series | pd.DataFrame):
        return None, "表や列ではなく、1つの値で答えてください（例: .iloc[0]、.median()）。"
    if exercise.kind == "municipality":
        try:
            return codes.resolve_municipality(answer), None
        except AmbiguousNameError:
            return None, _ambiguous(answer)
        except DataFetchError:
            raise
        except RegionlibError:
            return None, _unknown(answer)
    if exercise.kind == "choice":
        text = str(answer).strip().lower()
        if text not in exercise.choices:
            return None, f"{' か '.join(repr(c) for c in exercise.choices)} で答えてください。"
        return text, None
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, f"数値で答えてください（受け取った答え: {answer!r}）。"
    if math.isnan(value):
        return None, "答えが NaN（欠損値）です。欠損値を除いて計算しましょう。"
    if exercise.kind == "integer" and value != int(value):
        return None, "整数で答えてください。"
    return value, None


def _full_names() -> pd.Series:
    """「都道府県名＋市区町村名」 per code, municipalities and designated-city wards."""
    from regionlib.data import names as names_module

    names = names_module.load_names()
    return names["prefecture"] + names["name"]


def _ambiguous(answer: object) -> str:
    """Say in Japanese which municipalities share the name, and how to tell them apart."""
    text = codes.normalize_name(str(answer))
    full = _full_names()
    same = [n for n in full if codes.normalize_name(n).endswith(text)]
    return (
        f"市区町村を特定できません: 「{answer}」という名前の市区町村は{len(same)}つあります"
        f"（{'、'.join(same)}）。都道府県名を付けて（例: {same[0]}）か、5桁のコードで答えてください。"
    )


def _unknown(answer: object) -> str:
    """Say in Japanese that no municipality matches, suggesting close names."""
    if not isinstance(answer, str) or answer.strip().isdigit():
        return f"市区町村を特定できません: コード {answer} の市区町村はありません。"
    from regionlib.data import names as names_module

    names = names_module.load_names()
    full = names["prefecture"] + names["name"]
    # match the answer against bare names (夕張市) and full names (北海道夕張市) alike
    keys = {codes.normalize_name(n): f for n, f in zip(names["name"], full, strict=True)}
    keys |= {codes.normalize_name(f): f for f in full}
    close = difflib.get_close_matches(codes.normalize_name(answer), list(keys), n=3, cutoff=0.7)
    shown = list(dict.fromkeys(keys[c] for c in close))
    maybe = f"もしかして: {'、'.join(shown)}" if shown else ""
    return (
        f"市区町村を特定できません: 「{answer}」という市区町村は見つかりません。"
        f"「都道府県名＋市区町村名」（例: 北海道夕張市）か、5桁のコードで答えてください。{maybe}"
    )


def _same(exercise: Exercise, value: object, target: object) -> bool:
    if exercise.kind in {"number", "integer"}:
        tolerance = exercise.tolerance if exercise.kind == "number" else 0.0
        return abs(float(value) - float(target)) <= tolerance + 1e-9  # type: ignore[arg-type]
    return value == target


def _name(code: str) -> str:
    from regionlib.data import names as names_module

    names = names_module.load_names()
    if code in names.index:
        row = names.loc[code]
        return f"{row['prefecture']}{row['name']}（{code}）"
    return code


def check(exercise_id: str, answer: object, *, verbose: bool = True) -> bool:
    """Check a learner's answer and say, in Japanese, whether it is right.

    Parameters
    ----------
    exercise_id
        Exercise identifier (see :func:`exercises`).
    answer
        The learner's answer: a code or name for municipality questions, a number, or one of
        the choices.
    verbose
        Print the verdict (「正解です」 or what is wrong, with a hint).

    Returns
    -------
    bool
        True if the answer is right.

    Raises
    ------
    UnknownNameError
        If there is no such exercise.
    """
    exercise = _get(exercise_id)
    value, problem = _normalise(exercise, answer)
    # the learner needs the verdict, not the log or the warnings of computing the solution
    quiet = {"log_console": False, "log_warnings": False}
    saved = {name: getattr(settings, name) for name in quiet}
    for name, value_ in quiet.items():
        setattr(settings, name, value_)
    try:
        target = solution(exercise_id)
        mistakes = (
            exercise.mistakes() if problem is None and not _same(exercise, value, target) else []
        )
    finally:
        for name, value_ in saved.items():
            setattr(settings, name, value_)
    right = problem is None and _same(exercise, value, target)
    if verbose:
        if right:
            shown = _name(str(value)) if exercise.kind == "municipality" else answer
            print(f"正解です！ {exercise_id}: {shown}")
        else:
            print(f"不正解です（{exercise_id}）。")
            if problem is not None:
                print(problem)
            else:
                for wrong, why in mistakes:
                    if _same(exercise, value, wrong):
                        print(why)
                        break
                else:
                    print("ヒント: " + exercise.hint)
    return right
