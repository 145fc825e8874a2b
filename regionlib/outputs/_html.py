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
    st.control = L.control.layers(null, null, {collapsed: false, position: "topright"}).addTo(map);
  }
  return st.control;
};
RL.choropleth = function (map, d) {
  var st = RL.state(map), p = d.precision, cur = 0, polys = [];
  var fillOpacity = 0.9;
  function style(i) {
    var lay = d.layers[cur], c = lay.cls[i];
    return {fillColor: c < 0 ? d.missing : lay.colors[c], fillOpacity: fillOpacity,
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
    this._div = L.DomUtil.create("div", "rl-legend");
    L.DomEvent.disableClickPropagation(this._div);
    this._div.innerHTML = d.layers[cur].legend;
    return this._div;
  };
  legend.addTo(map);
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
      legend._div.innerHTML = d.layers[cur].legend;
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
  RL.declutter(map, layer);
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
    return a.markers.length - b.markers.length || a.order - b.order;
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
.rl-legend .rl-na { background: repeating-linear-gradient(45deg, #c8c8c8 0 3px, #eee 3px 6px); }
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
  color: #111; white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff;
  transform: translate(-50%, -50%); }
.rl-label.rl-peer { color: #08306b; }
"""


@functools.cache
def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise RegionlibError(
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
            log(f"offline map: left out {url} (not needed by regionlib maps)")
            return ""
        if url.startswith(("http://", "https://", "//")):
            raise RegionlibError(
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
