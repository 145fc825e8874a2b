"""The page side of regionlib's web maps: a small JavaScript runtime, CSS, and offline inlining.

Offline pages inline Leaflet's JS and CSS from the ``xstatic-leaflet`` package (the same Leaflet
1.9.3 that folium links from its CDN), with the control icons as data URIs, so that a saved map
makes no network request. jQuery, Bootstrap and the awesome-markers plugin that folium links by
default are not needed by these maps and are not linked at all.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from pathlib import Path

from regionlib._errors import RegionlibError
from regionlib._log import log

LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"

# folium's default resources that regionlib maps do not need: dropped from offline pages
_UNNEEDED = (
    "jquery",
    "bootstrap",
    "awesome-markers",
    "awesome.rotate",
    "font-awesome",
    "glyphicons",
)


def js_literal(obj: object) -> str:
    """Serialise ``obj`` as JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # "<" only occurs inside strings; escaping it prevents "</script>" and "<!--" breaking out
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


RUNTIME_JS = r"""
var RL = window.RL || (window.RL = {maps: {}});
RL.esc = function (s) {
  return String(s).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
  });
};
RL.dec = function (s, p) {
  var pts = [], i = 0, lat = 0, lng = 0, n = s.length, b, sh, r;
  while (i < n) {
    sh = 0; r = 0;
    do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
    lat += (r & 1) ? ~(r >> 1) : (r >> 1);
    sh = 0; r = 0;
    do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
    lng += (r & 1) ? ~(r >> 1) : (r >> 1);
    pts.push([lat / p, lng / p]);
  }
  return pts;
};
RL.lines = function (list, p) { return list.map(function (s) { return RL.dec(s, p); }); };
RL.muniWeight = function (z) { return z <= 5 ? 0 : z <= 6 ? 0.15 : z <= 7 ? 0.35 : z <= 9 ? 0.7 : 1.2; };
RL.prefWeight = function (z) { return z <= 5 ? 0.7 : z <= 7 ? 1.1 : 1.8; };
RL.state = function (map) {
  var id = map.getContainer().id;
  if (!RL.maps[id]) { RL.maps[id] = {control: null, base: {}, overlays: {}}; }
  return RL.maps[id];
};
RL.control = function (map) {
  var st = RL.state(map);
  if (!st.control) {
    // collapsed to an icon on narrow screens; placed with the other controls on the sea
    st.control = L.control.layers(null, null,
      {collapsed: map.getSize().x < 700, position: "topright"}).addTo(map);
    RL.placeControls(map);
  }
  return st.control;
};
// The pattern of missing values, used by the map and its legend alike.
RL.hatch = function () {
  if (document.getElementById("rl-hatch")) { return; }
  var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", "0"); svg.setAttribute("height", "0");
  svg.setAttribute("aria-hidden", "true"); svg.style.position = "absolute";
  svg.innerHTML = '<defs><pattern id="rl-hatch" patternUnits="userSpaceOnUse" width="6" ' +
    'height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>' +
    '<rect width="3" height="6" fill="#b4b4b4"/></pattern></defs>';
  document.body.appendChild(svg);
};
// How much land (cells of the page's land grid) a box of the map's container covers.
RL.landIn = function (map, g, x0, y0, x1, y1) {
  var n = 0;
  for (var x = x0; x <= x1; x += 8) {
    for (var y = y0; y <= y1; y += 8) {
      var ll = map.containerPointToLatLng([x, y]);
      var c = Math.floor((ll.lng - g.w) / (g.e - g.w) * g.k);
      var r = Math.floor((g.n - ll.lat) / (g.n - g.s) * g.k);
      if (c >= 0 && c < g.k && r >= 0 && r < g.k && g.cells.charAt(r * g.k + c) === "1") { n++; }
    }
  }
  return n;
};
// Put the legend, the layer list and the jump list each in the corner where they cover the
// least land at the current view (the first the legend, the largest).
RL.placeControls = function (map) {
  var st = RL.state(map), g = st.land;
  if (!g) { return; }
  var ctls = [st.legend, st.control, st.views].filter(function (c) { return c; });
  var size = map.getSize(), used = {};
  ctls.forEach(function (ctl) {
    var el = ctl.getContainer(), w = el.offsetWidth, h = el.offsetHeight, best = null, cost = Infinity;
    ["bottomright", "topright", "bottomleft", "topleft"].forEach(function (pos) {
      if (used[pos]) { return; }
      var x0 = pos.indexOf("left") >= 0 ? 10 : size.x - w - 10;
      var y0 = pos.indexOf("top") >= 0 ? (pos === "topleft" ? 90 : 10) : size.y - h - 30;
      var c = RL.landIn(map, g, x0, y0, x0 + w, y0 + h);
      if (c < cost) { cost = c; best = pos; }
    });
    if (best) { used[best] = true; if (ctl.getPosition() !== best) { ctl.setPosition(best); } }
  });
};
// Add a line to the legend (region outlines): a swatch drawn as the map draws the line.
RL.legendLine = function (map, name, color, weight, dash) {
  var st = RL.state(map);
  if (!st.legend || !st.legend._div) { return; }
  var row = L.DomUtil.create("div", "rl-row rl-extra", st.legend._body);
  row.innerHTML = '<svg class="rl-sw" style="border:none"><line x1="0" y1="7" x2="22" y2="7" stroke="' +
    RL.esc(color) + '" stroke-width="' + Math.min(weight, 4) + '"' +
    (dash ? ' stroke-dasharray="' + RL.esc(dash) + '"' : "") + '/></svg>' + RL.esc(name);
  st.extraRows = (st.extraRows || []).concat([row]);
};
RL.choropleth = function (map, d) {
  var st = RL.state(map), p = d.precision, cur = 0, polys = [];
  var fillOpacity = 0.9;
  RL.hatch();
  function style(i) {
    var lay = d.layers[cur], c = lay.cls[i];
    return {fillColor: c < 0 ? "url(#rl-hatch)" : lay.colors[c], fillOpacity: c < 0 ? 1 : fillOpacity,
            color: d.line, opacity: 0.9, weight: RL.muniWeight(map.getZoom())};
  }
  function tip(i) {
    var lay = d.layers[cur], h = "<b>" + RL.esc(d.prefs[i]) + " " + RL.esc(d.names[i]) + "</b>";
    h += "<br>" + RL.esc(lay.label) + ": " + RL.esc(lay.vals[i]);
    if (lay.cls[i] >= 0) {
      h += (lay.unit ? " " + RL.esc(lay.unit) : "");
      var pct = 100 * lay.rank[i] / lay.n;
      h += "<br>順位: " + lay.rank[i].toLocaleString("ja-JP") + "位 / " + lay.n.toLocaleString("ja-JP") +
           "（上位 " + (pct < 1 ? pct.toFixed(1) : Math.round(pct)) + "%）";
    }
    if (d.regions && d.regions[i]) { h += "<br>広域圏: " + RL.esc(d.regions[i]); }
    if (lay.year) { h += "<br><span class='rl-small'>" + RL.esc(lay.year) + "年</span>"; }
    if (lay.flags && lay.flags[i]) { h += "<br><span class='rl-flag'>⚠ " + RL.esc(lay.flags[i]) + "</span>"; }
    return h;
  }
  var group = L.featureGroup();
  for (var i = 0; i < d.geoms.length; i++) {
    var rings = d.geoms[i].map(function (poly) { return RL.lines(poly, p); });
    var pl = L.polygon(rings, style(i));
    pl._rl = i;
    pl.bindTooltip(function (l) { return tip(l._rl); }, {sticky: true, direction: "top"});
    pl.on("mouseover", function (e) { e.target.setStyle({weight: 2.5, color: "#000"}); e.target.bringToFront(); });
    pl.on("mouseout", function (e) { e.target.setStyle(style(e.target._rl)); });
    group.addLayer(pl);
    polys.push(pl);
  }
  group.addTo(map);
  var prefs = null;
  if (d.prefLines.length) {
    prefs = L.polyline(RL.lines(d.prefLines, p),
      {color: "#222", weight: RL.prefWeight(map.getZoom()), opacity: 0.85, interactive: false}).addTo(map);
  }
  var legend = L.control({position: "bottomleft"});
  legend.onAdd = function () {
    // built once: moving the control to another corner adds it again, rows and all
    if (this._div) { return this._div; }
    // a button folds the legend away (folded from the start on narrow screens)
    this._div = L.DomUtil.create("div", "rl-legend");
    L.DomEvent.disableClickPropagation(this._div);
    var btn = L.DomUtil.create("button", "rl-fold", this._div);
    btn.type = "button"; btn.title = "凡例を閉じる・開く"; btn.textContent = "凡例 ▾";
    this._body = L.DomUtil.create("div", "rl-body", this._div);
    this._main = L.DomUtil.create("div", "", this._body);
    this._main.innerHTML = d.layers[cur].legend;
    var div = this._div;
    if (map.getSize().x < 600) { L.DomUtil.addClass(div, "rl-folded"); }
    L.DomEvent.on(btn, "click", function () {
      if (L.DomUtil.hasClass(div, "rl-folded")) { L.DomUtil.removeClass(div, "rl-folded"); }
      else { L.DomUtil.addClass(div, "rl-folded"); }
      RL.placeControls(map);
    });
    return this._div;
  };
  legend.addTo(map);
  st.legend = legend;
  var title = null;
  if (d.title) {
    title = L.control({position: "topleft"});
    title.onAdd = function () {
      var div = L.DomUtil.create("div", "rl-title"); div.innerHTML = d.title; return div;
    };
    title.addTo(map);
  }
  map.attributionControl.setPrefix(d.leafletPrefix);
  d.credits.forEach(function (c) { map.attributionControl.addAttribution(c); });
  if (d.layers.length > 1) {
    var ctl = RL.control(map);
    d.layers.forEach(function (lay, k) {
      var dummy = L.layerGroup();
      dummy._rlIndex = k;
      ctl.addBaseLayer(dummy, RL.esc(lay.title));
      if (k === 0) { dummy.addTo(map); }
    });
    map.on("baselayerchange", function (e) {
      if (e.layer._rlIndex === undefined) { return; }
      cur = e.layer._rlIndex;
      polys.forEach(function (pl) { pl.setStyle(style(pl._rl)); });
      legend._main.innerHTML = d.layers[cur].legend;
    });
  }
  map.on("zoomend", function () {
    var z = map.getZoom();
    polys.forEach(function (pl) { pl.setStyle({weight: RL.muniWeight(z)}); });
    if (prefs) { prefs.setStyle({weight: RL.prefWeight(z)}); }
  });
  L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
  map.options.zoomSnap = 0.25;
  map.fitBounds(d.bounds, {padding: [10, 10]});
  st.group = group;
  st.prefs = prefs;
  st.land = d.land;
  if (d.views && d.views.length) {
    // the jump list: the whole area, the main land, each island group
    var views = L.control({position: "topright"});
    views.onAdd = function () {
      if (this._div) { return this._div; }
      var div = this._div = L.DomUtil.create("div", "rl-views");
      L.DomEvent.disableClickPropagation(div);
      d.views.forEach(function (v, k) {
        var b = L.DomUtil.create("button", k === 0 ? "rl-all" : "", div);
        b.type = "button"; b.innerHTML = v[0];
        L.DomEvent.on(b, "click", function () { map.fitBounds(v[1], {padding: [10, 10]}); });
      });
      return div;
    };
    views.addTo(map);
    st.views = views;
  }
  if (d.labels && d.labels.length) {
    // municipality names, 市 first and largest first; shown from a prefecture's zoom
    var names = L.layerGroup();
    d.labels.forEach(function (lb) {
      L.marker([lb[1], lb[2]], {interactive: false, keyboard: false,
        icon: L.divIcon({className: "rl-label rl-muni" + (lb[3] ? " rl-city" : ""),
          html: "<span>" + RL.esc(lb[0]) + "</span>", iconSize: null})}).addTo(names);
    });
    var minZoom = d.labelZoom === null ? map.getZoom() - 0.5 : d.labelZoom;
    var toggle = function () {
      if (map.getZoom() >= minZoom) { if (!map.hasLayer(names)) { names.addTo(map); } }
      else if (map.hasLayer(names)) { map.removeLayer(names); }
    };
    map.on("zoomend", toggle);
    toggle();
    names._rlNames = true;
    RL.declutter(map, names);
  }
  RL.placeControls(map);
  map.on("resize", function () { RL.placeControls(map); });
};
RL.outlines = function (map, d) {
  var p = d.precision, layer = L.featureGroup();
  L.polyline(RL.lines(d.lines, p), {color: d.color, weight: d.weight, opacity: 1,
    dashArray: d.dash, interactive: false}).addTo(layer);
  var style = d.labelStyle ? ' style="' + RL.esc(d.labelStyle) + '"' : "";
  d.labels.forEach(function (lb) {
    L.marker([lb[1], lb[2]], {interactive: false, keyboard: false,
      icon: L.divIcon({className: "rl-label " + d.labelClass,
        html: "<span" + style + ">" + RL.esc(lb[0]) + "</span>", iconSize: null})}).addTo(layer);
  });
  layer.addTo(map);
  RL.control(map).addOverlay(layer, RL.esc(d.name));
  if (d.legend) {
    // region lines solid, prefecture lines dashed beneath them: told apart on the map and legend
    var st = RL.state(map);
    if (st.prefs) { st.prefs.setStyle({dashArray: "5 4"}); st.prefs.bringToFront(); layer.eachLayer(function (l) { if (l.bringToFront) { l.bringToFront(); } }); }
    if (st.legend && st.legend._div) { L.DomUtil.addClass(st.legend._div, "rl-dashed"); }
    RL.legendLine(map, d.name, d.color, d.weight, d.dash);
  }
  RL.declutter(map, layer);
  RL.placeControls(map);
};
// Hide labels that would overlap a label placed before them, across every label layer of the
// map: layers with fewer labels (coarser regions) go first, and within a layer labels come in
// priority order, so that hundreds of region names stay readable at national zoom and the
// finer levels' names appear as you zoom in.
RL.declutter = function (map, layer) {
  var markers = [];
  layer.eachLayer(function (l) { if (l instanceof L.Marker) { markers.push(l); } });
  if (!map._rlLabels) {
    map._rlLabels = [];
    map.on("zoomend overlayadd overlayremove", function () { RL.placeLabels(map); });
  }
  map._rlLabels.push({layer: layer, markers: markers, order: map._rlLabels.length});
  map._rlLabels.sort(function (a, b) {
    return (a.layer._rlNames ? 1 : 0) - (b.layer._rlNames ? 1 : 0) ||
      a.markers.length - b.markers.length || a.order - b.order;
  });
  RL.placeLabels(map);
};
RL.placeLabels = function (map) {
  var placed = [];
  map._rlLabels.forEach(function (entry) {
    if (!map.hasLayer(entry.layer)) { return; }
    entry.markers.forEach(function (mk) {
      var el = mk.getElement();
      if (!el) { return; }
      el.style.display = "";
      // centred on its point (Leaflet's own transform positions the top left corner there)
      el.style.marginLeft = (-el.offsetWidth / 2) + "px";
      el.style.marginTop = (-el.offsetHeight / 2) + "px";
      var p = map.latLngToContainerPoint(mk.getLatLng());
      var w = el.offsetWidth / 2 + 2, h = el.offsetHeight / 2 + 1;
      var box = [p.x - w, p.y - h, p.x + w, p.y + h];
      var hit = placed.some(function (b) {
        return !(box[2] < b[0] || box[0] > b[2] || box[3] < b[1] || box[1] > b[3]);
      });
      if (hit) { el.style.display = "none"; } else { placed.push(box); }
    });
  });
};
"""

CSS = """
.rl-legend { background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 13px/1.35 "Noto Sans CJK JP", "Hiragino Sans",
  "Yu Gothic", "Meiryo", sans-serif; color: #111; max-width: 280px; }
.rl-legend .rl-lt { font-weight: bold; font-size: 14px; margin-bottom: 2px; }
.rl-legend .rl-sub { color: #444; font-size: 12px; margin-bottom: 4px; }
.rl-legend .rl-row { display: flex; align-items: center; gap: 6px; white-space: nowrap; }
.rl-legend .rl-sw { width: 22px; height: 14px; border: 1px solid #777; flex: none; }
.rl-legend .rl-na { display: block; }
.rl-legend .rl-fold { display: block; border: none; background: none; padding: 0 0 2px; cursor: pointer;
  font: bold 12px sans-serif; color: #333; }
.rl-legend.rl-folded .rl-body { display: none; }
.rl-legend.rl-dashed .rl-line { border-top-style: dashed; }
.rl-views { background: rgba(255,255,255,0.94); padding: 4px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); display: flex; flex-direction: column; gap: 2px; max-width: 160px; }
.rl-views button { font: 12px "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif;
  text-align: left; border: 1px solid #bbb; background: #fff; border-radius: 3px; padding: 2px 6px; cursor: pointer; }
.rl-views button.rl-all { font-weight: bold; }
.rl-legend .rl-n { color: #555; font-size: 11px; }
.rl-legend .rl-line { width: 22px; height: 0; border-top: 2px solid #222; flex: none; }
.rl-title { background: rgba(255,255,255,0.94); padding: 6px 10px; border-radius: 4px;
  font: bold 16px/1.3 "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); }
.leaflet-container { background: #f2f4f7; font-family: "Noto Sans CJK JP", "Hiragino Sans",
  "Yu Gothic", "Meiryo", sans-serif; }
.leaflet-control-attribution { font-size: 11px; background: rgba(255,255,255,0.9) !important;
  max-width: 70vw; white-space: normal; }
.leaflet-tooltip { font-size: 13px; }
.rl-flag { color: #a3001b; font-size: 12px; white-space: normal; display: inline-block; max-width: 260px; }
.rl-small { color: #555; font-size: 11px; }
.rl-label { background: none; border: none; font: bold 12px "Noto Sans CJK JP", sans-serif;
  color: #111; white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; }
.rl-label.rl-peer { color: #08306b; }
.rl-label.rl-muni { font-weight: normal; font-size: 11px; color: #111;
  text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff, 0 0 3px #fff; }
.rl-label.rl-muni.rl-city { font-weight: bold; font-size: 12px; }
"""


@functools.cache
def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise RegionlibError(
            "オフラインの地図には 'xstatic-leaflet' パッケージが必要です（pip install xstatic-leaflet）。または offline=False で保存してください / "
            "offline maps need the 'xstatic-leaflet' package (pip install xstatic-leaflet), "
            "or save with offline=False"
        ) from exc
    return Path(xleaflet.BASE_DIR)


@functools.cache
def leaflet_inline() -> tuple[str, str]:
    """Return Leaflet's (JS, CSS) with the CSS images embedded as data URIs."""
    base = _leaflet_dir()
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        path = base / match.group(1)
        if not path.is_file():
            return match.group(0)
        b64 = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{b64})"

    css = re.sub(r"url\((images/[^)]+\.png)\)", data_uri, css)
    js = js.replace("//# sourceMappingURL=leaflet.js.map", "")
    return js, css


_SCRIPT_SRC = re.compile(r'<script src="(?P<url>[^"]+)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]+)"\s*/>')


def make_offline(html: str) -> str:
    """Inline Leaflet, drop folium's unneeded CDN resources, refuse any other remote one."""
    js, css = leaflet_inline()

    def repl(match: re.Match, kind: str) -> str:
        url = match.group("url")
        if url == (LEAFLET_JS_URL if kind == "js" else LEAFLET_CSS_URL):
            code = js.replace("</script", "<\\/script") if kind == "js" else css
            return f"<script>{code}</script>" if kind == "js" else f"<style>{code}</style>"
        if any(part in url for part in _UNNEEDED):
            log(
                f"offline map: left out {url} (not needed by regionlib maps)",
                ja=f"オフライン地図: 不要な {url} を除きました",
            )
            return ""
        if url.startswith(("http://", "https://", "//")):
            raise RegionlibError(
                f"オフラインの地図: ページに必要な {url} を regionlib は埋め込めません。offline=False（--online）で保存するかプラグインを外してください / "
                f"offline map: the page needs {url}, which regionlib cannot inline; "
                "save it with offline=False (--online) or remove the plugin"
            )
        return match.group(0)

    html = _SCRIPT_SRC.sub(lambda m: repl(m, "js"), html)
    html = _CSS_LINK.sub(lambda m: repl(m, "css"), html)
    return html


# folium names look like map_<uuid hex>; encoded geometry never contains digits, so cannot match
_ID = re.compile(r"(?<=[a-z])_(?=[0-9a-f]*[0-9])[0-9a-f]{32}\b")


def stable_ids(html: str) -> str:
    """Replace folium's random element ids by sequential ones, so equal maps give equal files."""
    seen: dict[str, str] = {}

    def repl(match: re.Match) -> str:
        return seen.setdefault(match.group(0), f"_{len(seen):04d}")

    return _ID.sub(repl, html)
