"""Generate notebooks/NN-*.ipynb (outputs stripped) from the cell lists below.

Usage: python tools/build_notebooks.py        (writes every notebook)
       python tools/build_notebooks.py --check  (exit 1 if a notebook differs from this script)

Edit the notebooks here, not in Jupyter, so that prose and code stay reviewable in diffs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from regionlib import workshop

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks"

HEADER = """\
{stdlib}import matplotlib.pyplot as plt
import matplotlib_fontja  # noqa: F401  (Japanese font for matplotlib figures)
import pandas as pd

import regionlib as rl
from regionlib import {modules}

rl.settings.log_console = True
RANDOM_SEED = 0
rl.__version__"""


def md(text: str) -> tuple[str, str, list[str]]:
    return ("md", text.strip("\n"), [])


def code(text: str, *tags: str) -> tuple[str, str, list[str]]:
    return ("code", text.strip("\n"), list(tags))


def formatted(source: str) -> str:
    """Format a code cell with ruff (the project's settings), as ``ruff format`` would."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", "cell.py", "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return result.stdout.rstrip("\n")


def header(
    *modules: str, path: bool = False, plots: bool = True, pandas: bool = True
) -> tuple[str, str, list[str]]:
    text = HEADER.format(
        stdlib="from pathlib import Path\n\n" if path else "", modules=", ".join(sorted(modules))
    )
    if not plots:  # keep matplotlib_fontja (print maps) but not the unused pyplot / pandas names
        text = text.replace("import matplotlib.pyplot as plt\n", "")
    if not pandas:
        text = text.replace("import pandas as pd\n", "")
    return code(text)


NOTEBOOKS: dict[str, list[tuple[str, str, list[str]]]] = {}

# --------------------------------------------------------------------------------------------
NOTEBOOKS["00-quickstart"] = [
    md("""
# 00 クイックスタート：市区町村を1つの表と1枚の地図で見る

地方創生2.0では、それぞれの地域が自らの状況を統計指標で「見える化」し、他の地域と比べ、
県境を越えた広域リージョン連携を考えることが求められています。regionlib は、全国1,741の
市区町村について、境界・指標・地図をそろえて比較するためのライブラリです。

このノートブックでは次を確認します。

1. インストールの確認（最初のセル）
2. データの出どころとライセンス
3. 市区町村の指標表の読み込みと、結合の記録（何が除かれ、何が変わったか）
4. 最初の地図（オフラインで開けるHTML）
5. 地図や表に必ず添えるクレジット
"""),
    header("boundaries", "indicators", "maps", "table", path=True, plots=False),
    md("""
最後の行にバージョンが表示されれば、インストールは成功です。
`rl.settings.log_console = True` にしたので、regionlib が行った処理（除外した行、コードの
変更など）がセルの下に `regionlib: ...` として表示されます。

## 1. データの出どころ

regionlib が使うファイルはすべて登録簿（registry）に、取得元URL・ハッシュ値・ライセンス・
クレジット・時点とともに記録されています。初回の利用時にダウンロードされ、検証されてから
キャッシュに保存されます（2回目からはキャッシュを使います）。
"""),
    code("""
registry = pd.DataFrame(
    [
        {"name": d.name, "group": d.group, "vintage": d.vintage, "license": d.license}
        for d in rl.datasets.registry().values()
    ]
)
registry.groupby("group").agg(files=("name", "size"), example=("name", "first"))
"""),
    md("""
## 2. 指標表を読み込む

`table.load_table()` は、市区町村の境界（国土数値情報 行政区域、2021年1月1日）に指標を結合した
表を返します。インデックスは5桁の市区町村コード（`code`）です。
"""),
    code("""
tab = table.load_table()
print(tab.shape)
tab.drop(columns="geometry").head()
"""),
    md("""
結合では、政令市の区・郡の合計・都道府県の合計の行を除き、合併などで変わったコードを
新しいコードに読み替えています。何をしたかは結合レポートにすべて残っています。
"""),
    code("""
print(tab.attrs["join_report"])
"""),
    md("""
欠損値には理由があります。たとえば福島県の避難指示区域の町では、2015年の人口が0のため
人口増減率が計算できません（0で割った値を「無限大」として表示することはしません）。
"""),
    code("""
tab.attrs["missing_reasons"]["population_change_2015_2020"]
"""),
    md("""
使える指標の一覧（カタログ）です。`load_table([...])` に名前を渡せば、好きな指標を選べます。
"""),
    code("""
pd.DataFrame(
    [
        {"name": i.name, "label": i.label, "unit": i.unit, "year": i.year}
        for i in indicators.catalogue().values()
    ]
).set_index("name")
"""),
    md("""
## 3. 最初の地図

`maps.choropleth` は階級区分図（コロプレス図）を作ります。凡例・単位・年次・出典は自動で
付きます。市区町村にマウスを重ねると値と全国順位が表示されます。
"""),
    code("""
m = maps.choropleth(tab, "aging_rate", title="高齢化率（2020年）")
maps.show(m)
"""),
    md("""
`maps.save_html` で保存したファイルは、インターネットにつながっていないパソコンでも
ブラウザで開けます（地図の部品をすべてファイルの中に含めています）。
"""),
    code("""
OUT = Path("output")
OUT.mkdir(exist_ok=True)
maps.save_html(m, OUT / "00_aging_rate.html")
"""),
    md("""
## 4. クレジット（出典の表示）

国土数値情報の境界を使った地図には、出典の表示が必須です。regionlib の地図には自動で
付きますが、表やグラフを自分で作るときは、次の文言を添えてください。
"""),
    code("""
for line in [boundaries.CREDIT, *indicators.credits(["aging_rate", "income_per_taxpayer"])]:
    print(line)
"""),
    md("""
## 次に読むもの

- `01-compare-indicators`：人口減少・高齢化・東京圏への集中を地図・順位・分布で比べる
- `02-similar-municipalities`：似ている市区町村を探す
- `03-wide-area-regions`：隣接する市区町村をまとめて広域リージョンを提案する
- `04-revitalization-indicators`：地方創生2.0に関わる指標と東京圏との差
- `05-workshop`：授業・研修用の演習（自動採点つき）
- `06-export-for-planners`：県ごとの地図・表・印刷物をまとめて書き出す
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["01-compare-indicators"] = [
    md("""
# 01 指標を比べる：人口減少・高齢化・東京圏への集中

地方創生2.0の出発点は、人口減少と東京圏への一極集中という現実を正面から受け止めることです。
このノートブックでは、2015年と2020年の国勢調査、住民基本台帳の人口動態を使い、

1. 人口の増減と高齢化を地図で見る
2. 順位と分布で見る
3. 人口の社会増減（転入と転出の差）から東京圏への集中を見る
4. 地域的なまとまり（空間的自己相関）を確かめる
5. 1つの市区町村を、県と全国の中で位置づける

を行います。
"""),
    header("maps", "printmaps", "similarity", "spatial", "table", "workshop", pandas=False),
    code("""
INDICATORS = [
    "population_2020",
    "population_change_2015_2020",
    "aging_rate",
    "elderly_75_share",
    "child_share",
    "density_habitable",
    "natural_change_rate",
    "social_change_rate",
]
tab = table.load_table(INDICATORS)
tab.drop(columns="geometry").describe().round(1)
"""),
    md("""
## 1. 人口の増減を地図で見る

人口増減率は、0を境に増加（青）と減少（赤）を分けるため、階級の境目を自分で決め
（`scheme="user_defined"`）、発散型の配色（`RdBu`）を使います。
"""),
    code("""
m = maps.choropleth(
    tab,
    "population_change_2015_2020",
    scheme="user_defined",
    bins=[-10, -5, -2, 0, 5],
    palette="RdBu",
    title="人口増減率（2015→2020年）",
)
maps.show(m)
"""),
    md("""
複数の指標を1枚の地図にまとめ、右上のボタンで切り替えることもできます。境界のデータは
1つだけ持つので、ファイルは大きくなりません。
"""),
    code("""
m = maps.choropleth(
    tab, ["aging_rate", "elderly_75_share", "child_share"], title="年齢構成（2020年）"
)
maps.show(m)
"""),
    md("""
## 2. 順位と分布

人口減少率が大きい順の10市町村です。欠損値（2015年の人口が0の町）は順位に入りません。
"""),
    code("""
cols = ["prefecture", "name", "population_2020", "population_change_2015_2020", "aging_rate"]
tab.nsmallest(10, "population_change_2015_2020")[cols].round(1)
"""),
    md("""
高齢化率の分布と、人口密度との関係です。人口密度は桁が大きく違うので対数目盛にします。
"""),
    code("""
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
tab["aging_rate"].plot.hist(bins=40, ax=axes[0], color="#4477aa")
axes[0].axvline(tab["aging_rate"].median(), color="black", linestyle="--", label="全国の中央値")
axes[0].set(xlabel="高齢化率（%）", ylabel="市区町村の数", title="高齢化率の分布（2020年）")
axes[0].legend()
tab.plot.scatter(x="density_habitable", y="aging_rate", s=4, alpha=0.5, ax=axes[1], logx=True)
axes[1].set(xlabel="可住地人口密度（人/km²、対数目盛）", ylabel="高齢化率（%）", title="密度と高齢化")
fig.tight_layout()
"""),
    md("""
都道府県ごとの分布を中央値の順に並べると、県の中のばらつきの大きさも見えます。
"""),
    code("""
order = tab.groupby("prefecture")["aging_rate"].median().sort_values().index
fig, ax = plt.subplots(figsize=(12, 4))
ax.boxplot([tab.loc[tab["prefecture"] == p, "aging_rate"].dropna() for p in order], showfliers=False)
ax.set_xticks(range(1, len(order) + 1), order, rotation=90)
ax.set(ylabel="高齢化率（%）", title="都道府県別の高齢化率（市区町村の分布、中央値順）")
fig.tight_layout()
"""),
    md("""
## 3. 東京圏への集中：社会増減率

社会増減率は、2019年の転入者数から転出者数を引いた数を人口千人当たりで表したものです
（住民基本台帳）。1都3県（埼玉県・千葉県・東京都・神奈川県）とそれ以外で比べます。
"""),
    code("""
tokyo_area = tab["prefecture"].isin(workshop.TOKYO_AREA)
summary = tab.groupby(tokyo_area.map({True: "1都3県", False: "それ以外"}))[
    ["social_change_rate", "natural_change_rate", "population_change_2015_2020"]
].median()
summary.round(2)
"""),
    code("""
m = maps.choropleth(
    tab,
    "social_change_rate",
    scheme="user_defined",
    bins=[-10, -5, 0, 5],
    palette="RdBu",
    title="社会増減率（2019年、人口千人当たり）",
)
maps.show(m)
"""),
    md("""
## 4. 地域的なまとまり：Moran's I と LISA

高齢化率の高い市区町村は、互いに隣り合って集まっているでしょうか。隣接関係（境界を共有する
市区町村、離島は最も近い市区町村と結ぶ）の上で、大域的な Moran's I を計算します。
1に近いほど似た値が隣り合っています。
"""),
    code("""
print(spatial.compute_moran(tab, "aging_rate", random_state=RANDOM_SEED))
lisa = spatial.compute_lisa(tab, "aging_rate", random_state=RANDOM_SEED)
lisa["category_ja"].value_counts()
"""),
    md("""
高-高（ホットスポット）の市区町村が多い都道府県です。
"""),
    code("""
hot = lisa.index[lisa["category"] == "HH"]
tab.loc[hot, "prefecture"].value_counts().head(10)
"""),
    md("""
## 5. 1つの市区町村を県と全国の中で見る

`similarity.compare_municipality` は、ある市区町村の値を、よく似た市区町村（ピア）の中央値、
県の中央値、全国の中央値と並べ、全国順位と百分位（自分より低い市区町村の割合）を示します。
`TARGET` を自分の市区町村に変えてみてください。
"""),
    code("""
TARGET = "秋田県男鹿市"
similarity.compare_municipality(
    tab, TARGET, indicators=[c for c in INDICATORS if c != "population_2020"]
).round(2)
"""),
    md("""
## 印刷用の地図

報告書に貼る地図は `printmaps` で作ります。沖縄県と小笠原村は枠の中に表示されます。
"""),
    code("""
fig = printmaps.plot_choropleth(tab, "aging_rate", figsize=(9, 9))
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["02-similar-municipalities"] = [
    md("""
# 02 似ている市区町村を探す

「うちの町と似た課題を抱える町はどこか」「その町は何が違うのか」は、政策を学び合うための
出発点です。このノートブックでは

1. 比べる指標を選び、単位をそろえる（変換・標準化）
2. 市区町村をクラスター（似た者どうしのグループ）に分け、グループ数 k の根拠を確かめる
3. クラスターの特徴を読む
4. ある市区町村のピア（最も似ている市区町村）を探し、何が違うのかを見る

を行います。
"""),
    header("features", "maps", "similarity", "table", pandas=False),
    md("""
## 1. 指標を選ぶ

似ているかどうかは、どの指標で比べるかで決まります。ここでは人口構成・人口の動き・
都市化・産業・所得・財政の7指標を使います。
"""),
    code("""
INDICATORS = [
    "aging_rate",
    "child_share",
    "population_change_2015_2020",
    "density_habitable",
    "tertiary_share",
    "income_per_taxpayer",
    "fiscal_strength_index",
]
tab = table.load_table(["population_2020", *INDICATORS])
tab[INDICATORS].describe().round(2)
"""),
    md("""
## 2. 単位をそろえる

指標の単位はばらばらです（％、人/km²、千円）。そのまま距離を測ると、数値の大きい指標だけで
似ているかどうかが決まってしまいます。`features.prepare_features` は

- 偏りの大きい指標（人口密度など）を対数変換し、
- 中央値と四分位範囲で標準化し（外れ値の東京23区などに引きずられにくい）、
- 極端な値を ±5 で切り詰め、
- 欠損値のある市区町村の扱いを明示します。

何をしたかはレポートに残ります。
"""),
    code("""
feats = features.prepare_features(tab, INDICATORS)
print(feats.report)
"""),
    md("""
標準化した指標どうしの相関です。相関の強い指標を両方入れると、その側面を二重に数えることに
なります。
"""),
    code("""
feats.matrix.corr().round(2)
"""),
    md("""
## 3. クラスターに分ける：k の根拠

`k="auto"` は k = 3〜12 を試し、シルエット係数（高いほど良い）と Calinski–Harabasz 指数
（高いほど良い）の順位の平均で k を選びます。選ばれた k だけでなく、スコアの並びを見て
判断してください。
"""),
    code("""
clustering = similarity.cluster_municipalities(feats, k="auto", random_state=RANDOM_SEED)
print("選ばれた k:", clustering.k)
clustering.evidence.round(3)
"""),
    code("""
ev = clustering.evidence
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot(ev.index, ev["silhouette"], marker="o")
axes[0].set(xlabel="クラスター数 k", ylabel="シルエット係数", title="シルエット係数（高いほど良い）")
axes[1].plot(ev.index, ev["calinski_harabasz"], marker="o", color="#cc6677")
axes[1].set(xlabel="クラスター数 k", ylabel="CH 指数", title="Calinski–Harabasz 指数（高いほど良い）")
for ax in axes:
    ax.axvline(clustering.k, color="gray", linestyle="--")
fig.tight_layout()
"""),
    md("""
スコアは k が小さいほど高くなりがちです（「都市と農村」のような大まかな分け方が最も
はっきりしているため）。政策の比較には、もう少し細かい分け方が役に立つこともあります。
ここでは k = 6 も作って比べます。
"""),
    code("""
clustering6 = similarity.cluster_municipalities(feats, k=6, random_state=RANDOM_SEED)
profiles = similarity.profile_clusters(clustering6)
profiles[["size", "population", "medoid_name", "description"]]
"""),
    md("""
各クラスターの指標の平均（標準化した値, z）です。正は全国の中央値より高く、負は低いことを
表します。
"""),
    code("""
z = profiles.filter(like="z_").rename(columns=lambda c: features.indicator_label(c[2:], short=True))
fig, ax = plt.subplots(figsize=(9, 4))
im = ax.imshow(z.to_numpy(), cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
ax.set_xticks(range(z.shape[1]), z.columns, rotation=30, ha="right")
ax.set_yticks(range(z.shape[0]), [f"クラスター{c}" for c in z.index])
fig.colorbar(im, ax=ax, label="平均 z スコア")
ax.set_title("クラスターの特徴（k = 6）")
fig.tight_layout()
"""),
    code("""
clustered = tab.join(clustering6.labels.map(lambda c: f"クラスター{c}"))
ax = clustered.plot(
    column="cluster",
    categorical=True,
    legend=True,
    legend_kwds={"loc": "upper left"},
    cmap="tab10",
    figsize=(9, 9),
)
ax.set(title="市区町村のクラスター（k = 6）", xlim=(128, 146), ylim=(30, 46))
ax.set_axis_off()
"""),
    md("""
## 4. ピアを探す：どこが似ていて、何が違うか

`TARGET` の市区町村に最も似ている10市区町村です。右側の列は、その指標が距離に占める割合
（％、合計100）です。割合の大きい指標が「違い」の主な原因です。
"""),
    code("""
TARGET = "秋田県男鹿市"
peers = similarity.find_peers(feats, TARGET, k=10)
shares = peers.filter(like="contrib_").rename(
    columns=lambda c: features.indicator_label(c[8:], short=True) + "（%）"
)
peers[["name", "prefecture", "population", "distance"]].join((100 * shares).round(0))
"""),
    md("""
同じ県のピアは日頃から比べていることが多いので、他県に限って探すこともできます。人口規模が
近い（±50％）ものに限ることもできます。
"""),
    code("""
other = similarity.find_peers(feats, TARGET, k=5, other_prefectures=True, population_within=50)
other[["name", "prefecture", "population", "distance"]]
"""),
    code("""
similarity.compare_municipality(feats, TARGET, peers=peers).round(2)
"""),
    md("""
地図では、対象の市区町村を黒の太線、ピアを青の線で囲んで表示します。
"""),
    code("""
code = peers.attrs["target"]
m = maps.choropleth(tab, "aging_rate", focus=code, peers=list(peers.index), title=f"{TARGET}とピア")
maps.show(m)
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["03-wide-area-regions"] = [
    md("""
# 03 広域リージョンを提案する

地方創生2.0は、県や市町村の境界を越えた「広域リージョン連携」を掲げています。どの市町村を
まとめると、互いに似た課題を持ち、かつ地理的につながった圏域になるでしょうか。ここでは東北
6県（227市町村）を例に、

1. 隣接関係（つながり）と離島の扱いを確かめる
2. 3つの方法（Ward、SKATER、max-p）で圏域を作り、並べて比べる
3. 都道府県・通勤圏と照らし合わせて評価する
4. 提案を地図にし、1つの提案を批判的に読む

を行います。最後に全国での実行例も示します。
"""),
    header("evaluate", "graph", "maps", "references", "regions", "table", "workshop", plots=False),
    code("""
INDICATORS = list(workshop.WORKSHOP_INDICATORS)
national = table.load_table([*INDICATORS, "population_2020"])
tab = national[national["prefecture"].isin(workshop.TOHOKU)]
print(len(tab), "市町村:", ", ".join(workshop.TOHOKU))
"""),
    md("""
**注意**：東北6県は、全国の表から絞り込んでいます。`load_table(prefectures=[...])` は県ごとの
境界ファイルを読むため、県どうしの境界線が一致せず、県境をまたぐ隣接（たとえば横手市と
西和賀町）が失われます（既知の問題）。複数の県をまとめて扱うときは、全国の表から絞り込んで
ください。
"""),
    md("""
## 1. 隣接関係と離島

境界を共有する（点で接するものを含む）市町村を「隣接」とします。陸の隣接がない離島は、
最も近い市町村と「橋（bridge）」で結ばれ、その結び付きは一覧で確認できます。
"""),
    code("""
g = graph.contiguity(tab)
print("つながりの成分数:", g.n_components)
graph.edges_table(tab)["kind"].value_counts()
"""),
    md("""
東北6県には陸の隣接がない市町村はありません（「橋」は0本）。全国では約60の離島・離島群が
あり、最も近い市区町村と結ばれます。結んだ距離の長いものを見てみましょう。
"""),
    code("""
national_edges = graph.edges_table(national)
bridges = national_edges[national_edges["kind"] == "bridge"]
print("全国の橋の数:", len(bridges))
bridges.assign(
    name_a=national.loc[bridges["code_a"], "name"].to_numpy(),
    name_b=national.loc[bridges["code_b"], "name"].to_numpy(),
).nlargest(8, "distance_km")[["name_a", "name_b", "distance_km"]].round(1)
"""),
    md("""
離島をつながずに残すと（`islands="keep"`）、全国のグラフはいくつもの成分に分かれます。
この場合、離島は単独の圏域にしかなれません。どちらを選ぶかは、フェリー航路などの実際の
結び付きを踏まえた判断です。
"""),
    code("""
print("離島をつながない場合の成分数（全国）:", graph.contiguity(national, islands="keep").n_components)
"""),
    md("""
## 2. 3つの方法を並べる

- **Ward 法**：隣接する市町村どうしを、まとまりの均質さが最も損なわれない順に結合（圏域数を指定）
- **SKATER**：指標の違いを重みとした最小全域木を切り分ける（圏域数を指定）
- **max-p**：すべての圏域が人口の下限（ここでは20万人）を満たす条件で、できるだけ多くの圏域を作る

指標の欠損（双葉町）は中央値で補います（`missing="median"`、ログに記録されます）。
"""),
    code("""
FLOOR = ("population_2020", 200_000)
proposals = {
    "ward": regions.regionalize(
        tab, INDICATORS, method="ward", n_regions=20, graph=g, missing="median"
    ),
    "skater": regions.regionalize(
        tab, INDICATORS, method="skater", n_regions=20, graph=g, missing="median"
    ),
    "maxp": regions.regionalize(
        tab,
        INDICATORS,
        method="maxp",
        floor=FLOOR,
        graph=g,
        missing="median",
        random_state=RANDOM_SEED,
    ),
}
{name: labels.nunique() for name, labels in proposals.items()}
"""),
    md("""
## 3. 評価：均質さ・形・人口・既存の区分との一致

- リージョン内平方和の割合（小さいほど均質）
- コンパクト度（等周比、円なら1）
- 人口の下限を満たすか
- 都道府県・通勤圏（Adachi ほか 2020）との一致（調整ランド指数 ARI、調整相互情報量 AMI）

比較の基準として、同じ数のランダムな（ただし隣接した）圏域も評価します。どの提案も
ランダムより十分に均質でなければ意味がありません。
"""),
    code("""
refs = references.reference_groupings(tab)
proposals["random"] = evaluate.random_regions(g, tab.index, 20, random_state=RANDOM_SEED)
results = pd.DataFrame(
    {
        name: evaluate.evaluate(
            tab, labels, columns=INDICATORS, floor=FLOOR, graph=g, references=refs, missing="median"
        )
        for name, labels in proposals.items()
    }
)
results.rename(index=evaluate.measure_label)
"""),
    md("""
## 4. 提案を地図にする

max-p の提案を、高齢化率の地図に圏域の境界として重ねます。圏域の名前は、人口最大の市町村
（中心）から付けています。
"""),
    code("""
labels = proposals["maxp"]
m = maps.choropleth(tab, "aging_rate", regions=labels, title="max-p による広域リージョン案（東北）")
maps.show(m, height=600)
"""),
    code("""
region_table = regions.region_table(tab, labels)
region_table[["region_name", "core_name", "n_members", "population"]].sort_values(
    "population", ascending=False
)
"""),
    md("""
## 5. 提案を批判的に読む

アルゴリズムの出力は「答え」ではなく、議論の材料です。次の点を確かめましょう。

- **県境**：県境をまたぐ圏域はいくつあるか。連携の実務（県の計画・予算）に乗るか。
- **形**：細長い・飛び地のような圏域はないか（コンパクト度の最小値）。
- **人口の偏り**：中心都市が大きすぎる圏域と、下限ぎりぎりの圏域が混在していないか。
- **通勤圏との違い**：人の実際の動きと合っているか。合っていない圏域は、指標は似ていても
  日常の往来が少ない可能性があります。
"""),
    code("""
members = tab.assign(region=labels)
check = members.groupby("region").agg(
    prefectures=("prefecture", "nunique"), population=("population_2020", "sum")
)
check["compactness"] = evaluate.compactness(tab, labels)
check = region_table[["region_name"]].join(check)
print("県境をまたぐ圏域:", int((check["prefectures"] > 1).sum()), "/", len(check))
check.sort_values("compactness").head(5).round(3)
"""),
    md("""
最もコンパクト度の低い圏域の構成市町村と、それらが属する通勤圏です。同じ圏域の市町村が
別々の通勤圏に分かれていれば、その圏域は「似ているが、つながっていない」市町村の集まりかも
しれません。
"""),
    code("""
worst = check["compactness"].idxmin()
inside = members[members["region"] == worst]
inside.assign(commuting_zone=refs["commuting_zone_2020"])[
    ["prefecture", "name", "population_2020", "commuting_zone"]
]
"""),
    md("""
## 6. 全国で実行する

全国（1,741市区町村）の max-p も数秒で終わります（2コアのパソコンで約1〜2秒）。
"""),
    code("""
national_labels = regions.regionalize(
    national, INDICATORS, method="maxp", floor=FLOOR, missing="median", random_state=RANDOM_SEED
)
print("全国の圏域数:", national_labels.nunique())
print(
    evaluate.format_evaluation(
        evaluate.evaluate(
            national,
            national_labels,
            columns=INDICATORS,
            floor=FLOOR,
            references=references.reference_groupings(national),
            missing="median",
        )
    )
)
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["04-revitalization-indicators"] = [
    md("""
# 04 地方創生2.0に関わる指標：東京圏（1都3県）との差

地方創生2.0の基本構想は、人口減少を正面から受け止めたうえで、若者や女性にも選ばれる地方、
東京圏への一極集中の是正、地方の「稼ぐ力」と所得の向上などを目指しています（正確な目標と
その数値は、内閣官房・内閣府の公表資料で確認してください）。

このノートブックでは、公開データで測れる範囲で、各市区町村の状況を**1都3県（埼玉県・千葉県・
東京都・神奈川県）の市区町村の中央値との差**として地図にします。最後に、いまのデータでは
測れない目標を明記します。
"""),
    header("features", "indicators", "maps", "table", "workshop"),
    code("""
INDICATORS = {
    "working_age_share": "生産年齢人口（15～64歳）の割合",
    "child_share": "年少人口（15歳未満）の割合",
    "working_age_population_change_2015_2020": "生産年齢人口の増減率（2015→2020年）",
    "child_population_change_2015_2020": "年少人口の増減率（2015→2020年）",
    "population_change_2015_2020": "人口増減率",
    "social_change_rate": "社会増減率（転入超過）",
    "secondary_share": "第2次産業の就業者割合",
    "tertiary_share": "第3次産業の就業者割合",
    "unemployment_rate": "完全失業率",
    "income_per_taxpayer": "納税義務者1人当たり課税対象所得",
    "fiscal_strength_index": "財政力指数（2020年度）",
}
tab = table.load_table(["population_2020", "fiscal_strength_index_2015", *INDICATORS])
tokyo_area = tab["prefecture"].isin(workshop.TOKYO_AREA)
print("1都3県の市区町村数:", int(tokyo_area.sum()))
"""),
    md("""
## 1. 東京圏の水準

1都3県の市区町村の中央値を「東京圏の水準」とします。市区町村を1つずつ数える中央値なので、
人口の多い特別区も小さな町村も同じ重みです（人口で重み付けした東京圏全体の値とは異なります）。
"""),
    code("""
cols = list(INDICATORS)
levels = pd.DataFrame(
    {
        "1都3県の中央値": tab.loc[tokyo_area, cols].median(),
        "それ以外の中央値": tab.loc[~tokyo_area, cols].median(),
        "単位": [features.indicator_unit(c) for c in cols],
    }
).rename(index=INDICATORS)
levels.round(2)
"""),
    md("""
## 2. 東京圏との差を地図にする

各市区町村の値から東京圏の水準を引いた「差」を地図にします。0を境に色を分け、差が
マイナス（東京圏より低い）を赤、プラスを青にしています。最初の層は、2015→2020年の
**生産年齢人口（15〜64歳）の増減率**の差です。働き手がどれだけ減っているかを、東京圏と
比べて示します（年少人口の増減率は表で比べます）。

財政力指数は、2015年度から2020年度への変化も計算します（特別区は財政力指数が市町村と比較
できないため、もともと値がありません）。
"""),
    code("""
gaps = tab[cols] - tab.loc[tokyo_area, cols].median()
gaps.columns = [f"gap_{c}" for c in cols]
gaps["fiscal_change"] = tab["fiscal_strength_index"] - tab["fiscal_strength_index_2015"]
gap_tab = tab[["pref_code", "prefecture", "name", "geometry"]].join(gaps)
gap_tab[[f"gap_{c}" for c in cols]].describe().round(2)
"""),
    code("""
shown = [
    "gap_working_age_population_change_2015_2020",
    "gap_working_age_share",
    "gap_income_per_taxpayer",
    "gap_fiscal_strength_index",
]
m = maps.choropleth(
    gap_tab,
    shown,
    scheme="user_defined",
    bins={
        "gap_working_age_population_change_2015_2020": [-15, -10, -5, -2.5, 0, 5],
        "gap_working_age_share": [-15, -10, -5, 0, 5],
        "gap_income_per_taxpayer": [-1200, -900, -600, -300, 0, 300],
        "gap_fiscal_strength_index": [-0.6, -0.4, -0.2, 0, 0.2],
    },
    palette="RdBu",
    label={c: "1都3県の中央値との差：" + INDICATORS[c[4:]] for c in shown},
    unit={c: features.indicator_unit(c[4:]) or "ポイント" for c in shown},
    year={c: indicators.info(c[4:]).year for c in shown},
    title="東京圏（1都3県）との差",
)
maps.show(m)
"""),
    md("""
## 3. 都道府県ごとに見る

県内の市町村の差の中央値を、都道府県ごとに並べます。所得の差が最も大きい10県です。
"""),
    code("""
by_pref = gap_tab.groupby("prefecture")[[f"gap_{c}" for c in cols] + ["fiscal_change"]].median()
by_pref = by_pref.rename(columns=lambda c: INDICATORS.get(c[4:], "財政力指数の変化（2015→2020年度）"))
by_pref.sort_values(INDICATORS["income_per_taxpayer"]).head(10).round(2)
"""),
    code("""
fig, ax = plt.subplots(figsize=(6, 9))
column = INDICATORS["income_per_taxpayer"]
by_pref[column].sort_values().plot.barh(ax=ax, color="#cc6677")
ax.set(xlabel="千円（県内市町村の中央値）", ylabel="", title="所得の東京圏との差（納税義務者1人当たり）")
ax.axvline(0, color="black", linewidth=0.8)
fig.tight_layout()
"""),
    md("""
## 4. 雇用構造

就業者の産業構成（第1次・第2次・第3次）を、東京圏とそれ以外で比べます。
"""),
    code("""
sectors = table.load_table(["primary_share", "secondary_share", "tertiary_share"], geometry=False)
sectors.groupby(tokyo_area.map({True: "1都3県", False: "それ以外"})).median(numeric_only=True).round(1)
"""),
    md("""
## 5. いまの公開データでは測れないもの

次の目標は、regionlib が扱う公開データでは（まだ）測れません。地図や表を使うときは、
「測れていない」ことを明記してください。

- **若者（おおむね18〜34歳）の人口と転出入**：使える年齢区分は15歳未満・15〜64歳・65歳以上
  だけで、社会増減も年齢別ではありません。若者・女性の東京圏への転出超過は、住民基本台帳人口
  移動報告の年齢別データが必要です。
- **女性の就業・賃金、賃金水準そのもの**：所得は課税対象所得（納税義務者1人当たり）で、
  賃金や世帯所得とは異なります。
- **関係人口・二地域居住、地方への企業移転、デジタル化の進み具合**：対応する市区町村別の
  公開データを扱っていません。
- **財政の持続性**：財政力指数は東京23区（特別区）と市町村で比べられません。
"""),
]

# --------------------------------------------------------------------------------------------
EXERCISE_CELLS: list[tuple[str, str, list[str]]] = []
# every exercise starts from an empty answer; the first also shows where to load the data
WORK = {ex: "answer = ..." for ex in workshop.EXERCISES}
WORK["e1_oldest"] = """
t = table.load_table(["aging_rate"], geometry=False)
# ここに計算を書いてください
answer = ...
"""
for ex in WORK:
    EXERCISE_CELLS += [
        code(f'print(workshop.question("{ex}"))'),
        code(WORK[ex]),
        code(f'workshop.check("{ex}", answer)'),
    ]

NOTEBOOKS["05-workshop"] = [
    md("""
# 05 ワークショップ：地域を比べる（90分）

授業や研修で使う演習です。各問の下のセルに答えを書き、次の「チェック」セルを実行すると、
正解かどうかと、間違っているときのヒントが表示されます。答えはデータから毎回計算して確かめて
いるので、データが更新されても採点は正しく行われます。

**進め方（目安）**

| 時間 | 内容 |
|---|---|
| 0–15分 | `00-quickstart` で表と地図に慣れる |
| 15–40分 | 問1〜4：指標の比較（地図・順位・中央値、欠損値の扱い） |
| 40–60分 | 問5〜6：似ている市区町村（クラスター、ピア） |
| 60–80分 | 問7〜8：広域リージョン（東北6県） |
| 80–90分 | 振り返り：どの答えが「政策の根拠」として使えるか、何が足りないか |

解答例はノートブックの最後にあります。まず自分で考えてから見てください。
"""),
    header("evaluate", "regions", "similarity", "table", "workshop", plots=False, pandas=False),
    code("""
workshop.exercises()
"""),
    md("""
## 問1〜4：指標を比べる

`table.load_table([...])` で必要な指標を読み込み、pandas で計算します。
`prefecture` 列には都道府県名が入っています。
"""),
    *EXERCISE_CELLS[:12],
    md("""
## 問5〜6：似ている市区町村

`workshop.WORKSHOP_INDICATORS` の5指標を使います。乱数シードは `RANDOM_SEED`（0）です。
"""),
    *EXERCISE_CELLS[12:18],
    md("""
## 問7〜8：広域リージョン（東北6県）

全国の表を読み込み、`prefecture` 列が `workshop.TOHOKU` に含まれる行に絞り込みます
（`load_table(prefectures=...)` で県ごとに読むと、県境をまたぐ隣接が失われるため）。
"""),
    *EXERCISE_CELLS[18:],
    md("""
## 振り返り

- 問3で欠損値を「減少」に数えてしまうと、何が起きるでしょうか。実際の報告書で同じ誤りが
  起きないようにするには、どうすればよいでしょうか。
- 問5の k は「正しいグループ数」でしょうか。スコアの並び（`evidence`）から何が言えますか。
- 問7・問8の圏域は、実際の広域連携の単位として使えるでしょうか。何を追加で確かめる必要が
  ありますか（通勤圏、県の計画、交通）。

---

## 解答例

以下は解答例です。それぞれ最後にチェックを実行し、正解であることを確かめています。
"""),
    code("""
t = table.load_table(["aging_rate"], geometry=False)
answer_1 = t["aging_rate"].idxmax()
print(t.loc[answer_1, ["prefecture", "name", "aging_rate"]].to_dict())
assert workshop.check("e1_oldest", answer_1)
"""),
    code("""
answer_2 = round(t.loc[t["prefecture"] == "秋田県", "aging_rate"].median(), 1)
assert workshop.check("e2_akita_median", answer_2)
"""),
    code("""
change = table.load_table(["population_change_2015_2020"], geometry=False)
answer_3 = int((change["population_change_2015_2020"] < 0).sum())
print("欠損値:", int(change["population_change_2015_2020"].isna().sum()))
assert workshop.check("e3_decline_count", answer_3)
"""),
    code("""
income = table.load_table(["income_per_taxpayer"], geometry=False)
in_tokyo_area = income["prefecture"].isin(workshop.TOKYO_AREA)
answer_4 = round(income.loc[in_tokyo_area, "income_per_taxpayer"].median())
assert workshop.check("e4_tokyo_income", answer_4)
"""),
    code("""
five = table.load_table(list(workshop.WORKSHOP_INDICATORS), geometry=False)
clustering = similarity.cluster_municipalities(
    five, list(workshop.WORKSHOP_INDICATORS), k="auto", random_state=RANDOM_SEED
)
answer_5 = clustering.k
assert workshop.check("e5_best_k", answer_5)
"""),
    code("""
peers = similarity.find_peers(
    five, "北海道夕張市", indicators=list(workshop.WORKSHOP_INDICATORS), k=5
)
answer_6 = peers.index[0]
assert workshop.check("e6_nearest_peer", answer_6)
"""),
    code("""
national = table.load_table([*workshop.WORKSHOP_INDICATORS, "population_2020"])
tohoku = national[national["prefecture"].isin(workshop.TOHOKU)]
labels = regions.regionalize(
    tohoku,
    list(workshop.WORKSHOP_INDICATORS),
    method="maxp",
    floor=("population_2020", 200_000),
    missing="median",
    random_state=RANDOM_SEED,
)
answer_7 = labels.nunique()
assert workshop.check("e7_maxp_regions", answer_7)
"""),
    code("""
ratios = {}
for method in ["ward", "skater"]:
    lab = regions.regionalize(
        tohoku, list(workshop.WORKSHOP_INDICATORS), method=method, n_regions=20, missing="median"
    )
    result = evaluate.evaluate(
        tohoku, lab, columns=list(workshop.WORKSHOP_INDICATORS), missing="median"
    )
    ratios[method] = result["ssd_ratio"]
print(ratios)
answer_8 = min(ratios, key=ratios.get)
assert workshop.check("e8_homogeneous", answer_8)
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["06-export-for-planners"] = [
    md("""
# 06 県ごとの資料一式を書き出す（企画担当者向け）

1つの都道府県について、会議や庁内共有にそのまま使える資料を書き出します。

- **オフラインHTML地図**：インターネットのないパソコンでも開ける地図（指標を切り替え可能）
- **CSV表**：Excelで開ける市町村別の指標表（見出しは日本語、全国順位つき）
- **印刷用地図**：PNG（スライド用）とPDF（印刷用）

`PREF` を自分の都道府県に変えて、上から順に実行してください。
"""),
    header(
        "features",
        "indicators",
        "maps",
        "printmaps",
        "regions",
        "table",
        path=True,
        plots=False,
        pandas=False,
    ),
    code("""
PREF = "秋田県"
INDICATORS = [
    "population_2020",
    "population_change_2015_2020",
    "aging_rate",
    "child_share",
    "social_change_rate",
    "income_per_taxpayer",
    "fiscal_strength_index",
]
OUT = Path("output") / PREF
OUT.mkdir(parents=True, exist_ok=True)
pref = table.load_table(INDICATORS, prefectures=[PREF])
print(PREF, len(pref), "市町村")
"""),
    md("""
## 1. オフラインHTML地図

県内の市町村について、指標を切り替えられる地図を1つのファイルにします。人口増減率は0を
境に色を分けます。
"""),
    code("""
m = maps.choropleth(
    pref,
    INDICATORS,
    bins={"population_change_2015_2020": [-10, -5, -2, 0, 5]},
    palette={"population_change_2015_2020": "RdBu", "social_change_rate": "RdBu"},
    title=f"{PREF}の市町村の主要指標（右上で切り替え）",
)
path = maps.save_html(m, OUT / "map_indicators.html")
print(path, f"{path.stat().st_size / 1e6:.1f} MB")
maps.show(m)
"""),
    md("""
県内の広域連携の検討材料として、人口5万人以上を下限とした max-p の圏域案を重ねた地図も
書き出します（県境をまたがない案です。県境をまたぐ案は `03-wide-area-regions` を参照）。
"""),
    code("""
labels = regions.regionalize(
    pref,
    ["aging_rate", "child_share", "population_change_2015_2020", "income_per_taxpayer"],
    method="maxp",
    floor=("population_2020", 50_000),
    missing="median",
    random_state=RANDOM_SEED,
)
m_regions = maps.choropleth(pref, "aging_rate", regions=labels, title=f"{PREF}の圏域案（max-p、人口5万人以上）")
maps.save_html(m_regions, OUT / "map_regions.html")
regions.region_table(pref, labels)[["region_name", "n_members", "population", "member_names"]]
"""),
    md("""
## 2. CSV表（Excel用）

見出しを日本語にし、全国順位（値の大きい順）を付けます。`utf-8-sig` で保存すると、Excelで
開いても文字化けしません。表の下に出典を書いたファイルも添えます。
"""),
    code("""
national = table.load_table(INDICATORS, geometry=False)
ranks = national[INDICATORS].rank(ascending=False, method="min").loc[pref.index]
out_table = pref[["name"]].join(pref[INDICATORS].round(2)).join(ranks.add_suffix("_rank"))
headers = {"name": "市町村名"}
for c in INDICATORS:
    headers[c] = f"{features.indicator_label(c)}（{features.indicator_unit(c) or '指数'}）"
    headers[f"{c}_rank"] = f"{features.indicator_label(c, short=True)}の全国順位"
out_table = out_table.rename(columns=headers).rename_axis("市区町村コード")
out_table.to_csv(OUT / "indicators.csv", encoding="utf-8-sig")
(OUT / "credits.txt").write_text("\\n".join(["出典:", *indicators.credits(INDICATORS)]) + "\\n", encoding="utf-8")
out_table.head()
"""),
    md("""
## 3. 印刷用地図（PNG・PDF）

凡例・出典つきの地図です。PDFには日本語フォントが埋め込まれます。
"""),
    code("""
fig = printmaps.plot_choropleth(pref, "aging_rate", figsize=(8, 8))
printmaps.save_figure(fig, OUT / "aging_rate.png", dpi=150)
printmaps.save_figure(fig, OUT / "aging_rate.pdf")
"""),
    code("""
fig = printmaps.plot_choropleth(
    pref, "population_change_2015_2020", scheme="user_defined", bins=[-15, -10, -5, 0], palette="RdBu", figsize=(8, 8)
)
printmaps.save_figure(fig, OUT / "population_change.png", dpi=150)
"""),
    md("""
## 4. 書き出したファイル
"""),
    code("""
sorted(p.name for p in OUT.iterdir())
"""),
]


def build() -> dict[str, str]:
    texts = {}
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook()
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        for i, (kind, text, tags) in enumerate(cells):
            cell = new_markdown_cell(text) if kind == "md" else new_code_cell(formatted(text))
            cell.id = f"{name[:2]}-{i:02d}"
            if tags:
                cell.metadata["tags"] = tags
            nb.cells.append(cell)
        texts[name] = nbformat.writes(nb) + "\n"
    return texts


def main() -> int:
    texts = build()
    if "--check" in sys.argv:
        stale = [n for n, t in texts.items() if (OUT / f"{n}.ipynb").read_text() != t]
        for n in stale:
            print(f"notebooks/{n}.ipynb differs from tools/build_notebooks.py")
        return 1 if stale else 0
    OUT.mkdir(exist_ok=True)
    for name, text in texts.items():
        (OUT / f"{name}.ipynb").write_text(text, encoding="utf-8")
        print(f"wrote notebooks/{name}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
