"""Sphinx directives of the regionlib site.

``regionlib-run ID``
    Shows the commands of an example and the pictures ``docs/_tools/run_examples.py`` made of
    their outputs (``:stdout:`` also shows what they printed). The pictures must exist: the
    build stops otherwise, so a page never shows a stale or hand-pasted picture.
``regionlib-file ID NAME``
    Shows an input file of an example (the runner writes it into the example's folder).
``regionlib-sources``
    The table of every source in ``regionlib/registry.json``: years, licence, credit line.
``regionlib-indicators``
    Every row of ``regionlib/catalogue.csv`` with a filter box (``_static/filter.js``).
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.transforms import Transform
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

#: numpydoc checks of every public function and class (conf.py and tests/test_docs.py use them):
#: a docstring (GL08) that documents every parameter (PR01) and no parameter that does not
#: exist (PR02); a class documenting its fields as Attributes needs no Parameters section
VALIDATION_CHECKS = {"GL08", "PR01", "PR02"}
VALIDATION_EXCLUDE = {r"\.__\w+__$", r"\._\w+$", r"Profile\.make_tables$"}
VALIDATION_OVERRIDES = {"PR01": [r"Attributes\n\s*-{5,}"]}

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "regionlib"
GENERATED = Path(__file__).resolve().parents[1] / "_generated" / "run"


class RunDirective(SphinxDirective):
    """The commands of one example and the pictures of what they wrote."""

    required_arguments = 1
    has_content = True
    option_spec = {  # noqa: RUF012
        "shots": directives.unchanged,
        "stdout": directives.flag,
        "height": directives.nonnegative_int,
        "width": directives.nonnegative_int,
        "alt": directives.unchanged,
        "uses": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        eid = self.arguments[0]
        commands = [c for c in self.content if c.strip()]
        code = nodes.literal_block("\n".join(commands), "\n".join(commands))
        code["language"] = "bash"
        out: list[nodes.Node] = [code]
        folder = GENERATED / eid
        shots_file = folder / "shots.json"
        if not shots_file.exists():
            raise ExtensionError(
                f"{self.get_location()}: example {eid!r} has not been run: "
                "run `python docs/_tools/run_examples.py` first (make docs does)"
            )
        if "stdout" in self.options:
            printed = (folder / "stdout.txt").read_text(encoding="utf-8").rstrip()
            block = nodes.literal_block(printed, printed)
            block["language"] = "text"
            block["classes"].append("regionlib-stdout")
            out.append(nodes.paragraph("", "画面に表示される結果 / printed:"))
            out.append(block)
        shots = json.loads(shots_file.read_text(encoding="utf-8"))
        names = self.options.get("shots", "").split()
        if len(names) != len(shots):
            raise ExtensionError(f"{self.get_location()}: example {eid!r} is out of date: rerun it")
        for name, shot in zip(names, shots, strict=True):
            uri = f"/_generated/run/{eid}/{shot}"
            alt = self.options.get("alt", f"{name}（このページの作成時に上のコマンドで生成）")
            figure = nodes.figure(classes=["regionlib-shot"])
            figure += nodes.image(uri=uri, alt=alt, candidates={"*": uri.lstrip("/")})
            caption = f"{name} — サイトの作成時に上のコマンドで作った実物 / made by the build"
            figure += nodes.caption(caption, caption)
            out.append(figure)
            self.env.note_dependency(str(folder / shot))
        return out


class FileDirective(SphinxDirective):
    """An input file of an example, shown as a code block."""

    required_arguments = 2
    has_content = True

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content)
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        title = nodes.caption(self.arguments[1], self.arguments[1])
        container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
        container += title
        container += block
        return [container]


def _years(vintages: list[str]) -> str:
    """Summarise the vintages of a source's files (``2016–2022``, ``FY2005–FY2021``)."""
    found = sorted({int(y) for v in vintages for y in re.findall(r"(?:19|20)\d\d", v)})
    if not found:
        return "、".join(sorted(set(vintages)))
    return str(found[0]) if len(found) == 1 else f"{found[0]}–{found[-1]}"


def source_rows() -> list[dict[str, str]]:
    """One row per source of the registry: name, files, years, licence, credit line."""
    registry = json.loads((PACKAGE / "registry.json").read_text(encoding="utf-8"))
    by_source: dict[str, list[dict]] = defaultdict(list)
    for entry in registry:
        by_source[entry["source"]].append(entry)
    rows = []
    for source, entries in by_source.items():
        names = sorted(e["name"] for e in entries)
        rows.append(
            {
                "source": source,
                "group": ", ".join(sorted({e["group"] for e in entries})),
                "files": str(len(entries)),
                "names": names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}",
                "years": _years([e["vintage"] for e in entries]),
                "license": " / ".join(sorted({e["license"] for e in entries})),
                "credit": " / ".join(sorted({e["credit"] for e in entries})),
            }
        )
    return rows


_RULES = {
    "sum": "合計",
    "ratio": "分子・分母を合計して再計算",
    "weighted": "加重平均",
    "none": "合計しない",
}
_KINDS = {
    "count": "人数・件数",
    "amount": "金額",
    "rate": "率",
    "average": "平均",
    "net": "差引",
    "index": "指数",
}


def aggregation_rule(row: dict[str, str]) -> str:
    """How values of several municipalities combine (mergers, regions), in Japanese.

    The catalogue's ``aggregation`` column (``sum``, ``ratio[:NUM/DEN]``, ``weighted:W``,
    ``none:reason``) when it has one; otherwise read from the row (a denominator: recomputed
    from the summed parts; a % or an index alone: not summed; else summed).
    """
    rule = (row.get("aggregation") or "").strip()
    if rule:
        head, _, rest = rule.partition(":")
        text = _RULES.get(head, head)
        if head == "weighted" and rest:
            return f"{text}（重み: {rest}）"
        if head == "none" and rest:
            return f"{text}：{rest.split(' / ')[0]}"
        return text
    if row["denominator"]:
        return _RULES["ratio"]
    if row["unit"] in ("", "%"):
        return "合計しない（指数・比率）"
    return _RULES["sum"]


def catalogue_rows() -> list[dict[str, str]]:
    """Every row of the indicator catalogue, with its aggregation rule."""
    from regionlib.data import catalogue

    rows = catalogue.rows()
    for row in rows:
        row["rule"] = aggregation_rule(row)
    return rows


def _table(header: list[str], rows: list[list[str]], attrs: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table class='table regionlib-table'{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class SourcesDirective(SphinxDirective):
    """The sources of the registry as a table."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(PACKAGE / "registry.json"))
        header = [
            "出典 / source",
            "年 / years",
            "ファイル数",
            "登録名",
            "利用条件 / licence",
            "クレジット / credit line",
        ]
        rows = [
            [r["source"], r["years"], r["files"], r["names"], r["license"], r["credit"]]
            for r in source_rows()
        ]
        return [
            nodes.raw(
                "", f"<div class='regionlib-scroll'>{_table(header, rows)}</div>", format="html"
            )
        ]


def indicator_table_html() -> str:
    """The filter box and the table of every catalogue row, as HTML."""
    rows = catalogue_rows()
    header = [
        "名前 / name",
        "年 / year",
        "名称 / label",
        "単位 / unit",
        "種類 / kind",
        "集計 / aggregation",
        "データ / dataset",
        "式 / formula",
        "説明 / description",
    ]

    def formula(r: dict[str, str]) -> str:
        if r["denominator"]:
            scale = "" if r["scale"] in ("", "1") else f" × {r['scale']}"
            return f"({r['numerator']}) / ({r['denominator']}){scale}"
        return r["numerator"]

    cells = [
        [
            r["name"],
            r["year"],
            r["label"],
            r["unit"],
            _KINDS.get(r.get("kind") or "", r.get("kind") or ""),
            r["rule"],
            r["dataset"],
            formula(r),
            r["description"],
        ]
        for r in rows
    ]
    box = (
        "<p><label>絞り込み / filter: <input type='search' id='indicator-filter' "
        "class='form-control' placeholder='例：医師、高齢、population、2020' "
        "data-table='indicator-table' data-count='indicator-count'></label> "
        f"<span id='indicator-count'>{len(rows)}</span> / {len(rows)} 行</p>"
    )
    if any(len(c) != len(header) for c in cells):
        raise ExtensionError("indicator table: a row does not match the header")
    table = _table(header, cells, " id='indicator-table'")
    return f"{box}<div class='regionlib-scroll'>{table}</div>"


class IndicatorsDirective(SphinxDirective):
    """Every catalogue row, with a box that filters the table as one types."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(PACKAGE / "catalogue.csv"))
        return [nodes.raw("", indicator_table_html(), format="html")]


def _short_names(app, env, node, contnode):
    """Resolve ``regionlib.table.load_table`` (a short module name) to its documented place.

    Docstrings name modules by their short names (``rl.table`` is ``regionlib.data.table``) and
    errors by ``regionlib._errors.X`` (documented as ``regionlib.X``); a reference into a private
    module is shown as plain code: private names have no page.
    """
    if node.get("refdomain") != "py" or not node["reftarget"].startswith("regionlib."):
        return None
    import regionlib

    parts = node["reftarget"].split(".")
    if parts[1] in regionlib._MODULES:
        parts[1:2] = regionlib._MODULES[parts[1]].split(".")[1:]
    elif parts[1] == "_errors":
        del parts[1]
    target = ".".join(parts)
    domain = env.get_domain("py")
    if target != node["reftarget"] and target in domain.objects:
        return domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], target, node, contnode
        )
    if any(p.startswith("_") and not p.startswith("__") for p in parts) or _exists(target):
        return contnode  # private, or public but not on a page (not in __all__): no link
    return None


def _exists(target: str) -> bool:
    """Whether ``regionlib.x.y`` names a module or an object that exists."""
    import importlib

    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


_CJK = "\u3000-\u30ff\u3400-\u9fff\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])\n\s*|\n\s*(?=[{_CJK}])")
_IS_CJK = re.compile(rf"[{_CJK}]")


class JoinJapaneseLines(Transform):
    """Drop the line breaks of the Markdown source next to Japanese characters.

    A line break inside a paragraph is rendered as a space, which is right between English
    words and wrong in Japanese (「境界と指標を そろえた」): the pages keep short source lines.
    """

    default_priority = 900

    def apply(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.Text)):
            parent = node.parent
            if parent is None or isinstance(
                parent, (nodes.literal_block, nodes.literal, nodes.raw, nodes.comment)
            ):
                continue
            text = str(node)
            if "\n" not in text:
                continue
            if not text.strip():  # a soft line break of its own (MyST): look at the neighbours
                i = parent.index(node)
                before = parent[i - 1].astext()[-1:] if i > 0 else ""
                after = parent[i + 1].astext()[:1] if i + 1 < len(parent) else ""
                joined = "" if _IS_CJK.match(before) or _IS_CJK.match(after) else text
            else:
                joined = _CJK_BREAK.sub("", text)
            if joined != text:
                parent.replace(node, nodes.Text(joined))


def _math_inline(self, node):
    """Show inline math as its LaTeX source: MathJax would be loaded from a CDN."""
    self.body.append(f'<code class="math">{html.escape(node.astext())}</code>')
    raise nodes.SkipNode


def _math_block(self, node):
    """Show a displayed formula as its LaTeX source, in a block."""
    self.body.append(f'<pre class="math">{html.escape(node.astext())}</pre>')
    raise nodes.SkipNode


def setup(app):
    """Register the directives, the short-name resolver and the offline math renderer."""
    app.add_html_math_renderer("plain", (_math_inline, None), (_math_block, None))
    app.connect("missing-reference", _short_names)
    app.add_transform(JoinJapaneseLines)
    app.add_directive("regionlib-run", RunDirective)
    app.add_directive("regionlib-file", FileDirective)
    app.add_directive("regionlib-sources", SourcesDirective)
    app.add_directive("regionlib-indicators", IndicatorsDirective)
    app.add_js_file("filter.js")
    app.add_css_file("regionlib.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
