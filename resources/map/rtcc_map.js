/* RTCC Desktop live map: layers, deltas from Python, and the bridge back.
 *
 * Python pushes JSON messages on bridge.push (QWebChannel); nothing here
 * ever reloads the page. Feed text is untrusted: every string from a record is
 * put on the page with textContent / createTextNode, never innerHTML.
 *
 * The dense layers (CAD incidents, gunshots, ALPR reads) are not Leaflet
 * markers: each is a plain array of records, clustered per zoom level with a
 * grid and drawn on one canvas (L.RtccCanvas below), which also draws the
 * cameras (Leaflet polygons and circle markers) underneath. 50,000 points cost
 * a few tens of milliseconds to add instead of seconds. Hot-list hits stay
 * DOM markers above everything. Events arrive from Python as compact rows
 * ([kind, id, lat, lon, time s, style]); a popup asks Python for the record's
 * details when it opens, so feed text is only sent for what is looked at.
 * Geofences (a layer of their own) and the draw mode that makes them are near the end.
 */
(function () {
  'use strict';

  var RTCC = window.RTCC = window.RTCC || {};
  var map = null, bridge = null, cfg = {};
  var groups = {}, recs = {}, heat = null, selLayer = null, hlLayer = null, ctxPopup = null, pts = null;
  var counts = { cad: 0, gunshot: 0, alpr: 0, hotlist: 0, camera: 0, cones: 0 };
  var heatKinds = { cad: true, gunshot: true };
  RTCC.ready = false;
  RTCC.errors = [];

  /* Row kind codes, as map_payload.ROW_KINDS. */
  var ROW_KINDS = ['cad', 'gunshot', 'alpr'];
  var KIND_LABELS = { cad: 'CAD incident', gunshot: 'Gunshot detection', alpr: 'ALPR read', camera: 'Camera' };
  var PRIORITY_COLOURS = { p1: '#ff3b30', p2: '#ff9500', p3: '#ffd60a', p4: '#34c759', p0: '#8e8e93' };
  var CAMERA_COLOURS = { public: '#3fa7ff', private: '#c77dff' };
  /* Point styles (as Leaflet circle markers had them): radius, stroke colour and width, fill colour and opacity. */
  var POINT_STYLES = {
    cad: {}, gunshot: { r: 7, stroke: '#fff', w: 2, fill: '#ff2d55', fo: 0.95 },
    alpr: { r: 4, stroke: '#0b3d91', w: 1, fill: '#5ac8fa', fo: 0.85 }
  };
  Object.keys(PRIORITY_COLOURS).forEach(function (cls) {
    POINT_STYLES.cad[cls] = { r: cls === 'p1' ? 7 : 6, stroke: '#111', w: 1, fill: PRIORITY_COLOURS[cls], fo: 0.9 };
  });
  /* Clusters: the grid radius in px (markercluster's maxClusterRadius) and the look of the icons they had. */
  var CLUSTER = {
    cad: { radius: 50, fill: 'rgba(255, 149, 0, 0.88)', text: '#111' },
    gunshot: { radius: 40, fill: 'rgba(255, 45, 85, 0.9)', text: '#fff' },
    alpr: { radius: 60, fill: 'rgba(90, 200, 250, 0.85)', text: '#111' }
  };
  /* No clusters from this zoom on (streets are readable; points are few per screen). */
  var NO_CLUSTER_ZOOM = 17;
  /* Singles first (ALPR under CAD under gunshots), then clusters in the same order. */
  var DRAW_ORDER = ['alpr', 'cad', 'gunshot'];
  var CLUSTER_FONT = '600 12px "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif';

  var timeFormat = null;
  function setTimeZone(tz) {
    try {
      timeFormat = new Intl.DateTimeFormat('en-US', { timeZone: tz || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    } catch (e) {
      console.error('rtcc: unknown time zone ' + tz + '; showing UTC');
      timeFormat = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    }
  }
  /* Epoch ms -> "2024-05-01 14:03:07 CDT" in the centre's zone. */
  function fmtTime(ms) {
    var p = {};
    timeFormat.formatToParts(new Date(ms)).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second + ' ' + (p.timeZoneName || '');
  }
  RTCC.fmtTime = fmtTime;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function call(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (bridge && typeof bridge[name] === 'function') { bridge[name].apply(bridge, args); }
  }

  function ack(seq) {
    call('applied', JSON.stringify({ seq: seq, counts: RTCC.stats() }));
  }

  /* ------------------------------------------------------------- records */
  /* One record on the page. Points keep only what drawing needs; popup text (ti, f) comes with
   * full records (cameras, tests) or is fetched from Python when a popup opens. */
  function Rec(ref, k, g, la, lo, t) {
    this.r = ref; this.k = k; this.g = g; this.la = la; this.lo = lo; this.t = t;
    this.x = mercX(lo); this.y = mercY(la);  /* Web Mercator in [0, 1) */
    this.cls = null; this.w = 1; this.st = null; this.dead = false;
    this.m = null; this.c = null;            /* Leaflet layers (cameras, hot-list hits) */
    this.kl = null; this.ti = null; this.f = null; this.missing = false;
  }

  /* ------------------------------------------------------------- point groups and clustering */
  function PointGroup(kind) {
    this.kind = kind;
    this.radius = CLUSTER[kind].radius;
    this.items = [];      /* records in arrival order (the order clustering sees them) */
    this.dead = 0;        /* removed records still in items */
    this.caches = {};     /* zoom -> clustering of items[0 .. done) */
    this.visible = true;
  }
  PointGroup.prototype.add = function (rec) { this.items.push(rec); };
  PointGroup.prototype.remove = function (rec) {
    rec.dead = true;
    this.dead++;
    this.caches = {};   /* a removal changes earlier decisions: cluster again from scratch */
  };
  PointGroup.prototype.clear = function () { this.items = []; this.dead = 0; this.caches = {}; };
  PointGroup.prototype.compact = function () {
    if (!this.dead) { return; }
    var out = [], items = this.items;
    for (var i = 0; i < items.length; i++) { if (!items[i].dead) { out.push(items[i]); } }
    this.items = out;
    this.dead = 0;
    this.caches = {};
  };
  PointGroup.prototype.clusterAt = function (z) {
    this.compact();
    var c = this.caches[z];
    if (!c) { c = this.caches[z] = newClustering(z, this.radius); }
    if (c.done < this.items.length) { extendClustering(c, this.items); }
    return c;
  };

  var MAX_LAT = 85.0511287798, D2R = Math.PI / 180;
  /* Web Mercator as Leaflet's EPSG:3857, in [0, 1): multiply by 256 * 2^zoom for pixels. */
  function mercX(lon) { return lon / 360 + 0.5; }
  function mercY(lat) {
    var s = Math.sin(Math.max(Math.min(MAX_LAT, lat), -MAX_LAT) * D2R);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }

  /* Greedy grid clustering, as markercluster does it at each zoom: a point joins the nearest
   * cluster within `radius` px of the cluster's first point; failing that it pairs with the
   * nearest lone point within `radius` into a new cluster; else it stays alone. Points are taken
   * in arrival order, so a delta of new points continues where the last pass stopped. */
  /* Grid cells are keyed by a hash of (column, row) that stays a small integer (fast Map keys at
   * every zoom). Two cells may share a key: that only adds candidates, which the distance test
   * then rejects, so the clusters are the same as with exact keys. */
  function cellKey(gx, gy) { return (Math.imul(gx, 73856093) ^ Math.imul(gy, 19349663)) & 0x3fffffff; }
  function newClustering(z, radius) {
    return { z: z, r: radius, scale: 256 * Math.pow(2, z), done: 0, member: new Int32Array(1024),
             clusters: [], cgrid: new Map(), ugrid: new Map() };
  }
  function extendClustering(c, items) {
    var n = items.length, S = c.scale, R = c.r, R2 = R * R, cl = c.clusters, cgrid = c.cgrid, ugrid = c.ugrid;
    if (c.member.length < n) {
      var grown = new Int32Array(Math.max(n, c.member.length * 2));
      grown.set(c.member);
      c.member = grown;
    }
    var member = c.member, i, e, px, py, gx, gy, dx, dy, cell, j, best, bd, d, q, bestCell, bestAt, ue, cc, ax, ay, key;
    for (i = c.done; i < n; i++) {
      e = items[i];
      px = e.x * S; py = e.y * S;
      gx = Math.floor(px / R); gy = Math.floor(py / R);
      best = -1; bd = R2;
      for (dx = -1; dx <= 1; dx++) {
        for (dy = -1; dy <= 1; dy++) {
          cell = cgrid.get(cellKey(gx + dx, gy + dy));
          if (!cell) { continue; }
          for (j = 0; j < cell.length; j++) {
            cc = cl[cell[j]];
            d = (cc.ax - px) * (cc.ax - px) + (cc.ay - py) * (cc.ay - py);
            if (d <= bd) { bd = d; best = cell[j]; }
          }
        }
      }
      if (best >= 0) {
        joinCluster(cl[best], e);
        member[i] = best;
        continue;
      }
      best = -1; bd = R2; bestCell = null; bestAt = -1;
      for (dx = -1; dx <= 1; dx++) {
        for (dy = -1; dy <= 1; dy++) {
          cell = ugrid.get(cellKey(gx + dx, gy + dy));
          if (!cell) { continue; }
          for (j = 0; j < cell.length; j++) {
            q = cell[j];
            ue = items[q];
            ax = ue.x * S - px; ay = ue.y * S - py;
            d = ax * ax + ay * ay;
            if (d <= bd) { bd = d; best = q; bestCell = cell; bestAt = j; }
          }
        }
      }
      if (best >= 0) {
        bestCell[bestAt] = bestCell[bestCell.length - 1];
        bestCell.pop();
        ue = items[best];
        cc = { ax: ue.x * S, ay: ue.y * S, n: 0, sla: 0, slo: 0, s: 90, w: 180, nn: -90, e: -180 };
        joinCluster(cc, ue);
        joinCluster(cc, e);
        member[best] = member[i] = cl.length;
        key = cellKey(Math.floor(cc.ax / R), Math.floor(cc.ay / R));
        cell = cgrid.get(key);
        if (cell) { cell.push(cl.length); } else { cgrid.set(key, [cl.length]); }
        cl.push(cc);
      } else {
        member[i] = -1;
        key = cellKey(gx, gy);
        cell = ugrid.get(key);
        if (cell) { cell.push(i); } else { ugrid.set(key, [i]); }
      }
    }
    c.done = n;
  }
  function joinCluster(cc, e) {
    cc.n++; cc.sla += e.la; cc.slo += e.lo;
    if (e.la < cc.s) { cc.s = e.la; }
    if (e.la > cc.nn) { cc.nn = e.la; }
    if (e.lo < cc.w) { cc.w = e.lo; }
    if (e.lo > cc.e) { cc.e = e.lo; }
  }
  function clusterSize(n) { return n < 10 ? 30 : (n < 100 ? 36 : (n < 1000 ? 42 : 48)); }

  var pointGroups = {};
  ROW_KINDS.forEach(function (k) { pointGroups[k] = new PointGroup(k); });
  var dataVersion = 0;

  /* For tests: does clustering continued delta by delta give the same clusters as one pass over
   * everything? {worst: largest difference (1 for a different structure), compared: zoom levels checked}. */
  RTCC.checkClusterBounds = function () {
    var worst = 0, compared = 0;
    ROW_KINDS.forEach(function (k) {
      var grp = pointGroups[k];
      grp.compact();
      Object.keys(grp.caches).forEach(function (z) {
        var inc = grp.caches[z];
        if (inc.done !== grp.items.length) { extendClustering(inc, grp.items); }
        var fresh = newClustering(+z, grp.radius);
        extendClustering(fresh, grp.items);
        compared++;
        if (inc.clusters.length !== fresh.clusters.length) { worst = 1; return; }
        for (var i = 0; i < grp.items.length; i++) { if (inc.member[i] !== fresh.member[i]) { worst = 1; return; } }
        inc.clusters.forEach(function (a, j) {
          var b = fresh.clusters[j];
          if (a.n !== b.n) { worst = 1; return; }
          ['ax', 'ay', 'sla', 'slo', 's', 'w', 'nn', 'e'].forEach(function (f) { worst = Math.max(worst, Math.abs(a[f] - b[f])); });
        });
      });
    });
    return { worst: worst, compared: compared };
  };

  /* A layer-control entry for a point group: adding/removing it shows/hides the group on the canvas. */
  var GroupLayer = L.Layer.extend({
    initialize: function (grp) { this._grp = grp; },
    onAdd: function () { this._grp.visible = true; dataVersion++; if (pts) { pts.redrawAll(); } },
    onRemove: function () { this._grp.visible = false; dataVersion++; if (pts) { pts.redrawAll(); } }
  });

  /* ------------------------------------------------------------- the canvas */
  /* Leaflet's canvas renderer (cameras are ordinary Leaflet layers on it) that also draws the
   * point groups over them and answers clicks and hovers on points and clusters. */
  L.RtccCanvas = L.Canvas.extend({
    redrawAll: function () {
      this._rtccFull = true;
      if (this._map && !this._redrawRequest) { this._redrawRequest = L.Util.requestAnimFrame(this._redraw, this); }
    },

    _redraw: function () {
      if (this._rtccFull) { this._redrawBounds = null; this._rtccFull = false; }
      L.Canvas.prototype._redraw.call(this);
      if (this.onDrawn) { this.onDrawn(); }
    },

    _draw: function () {
      L.Canvas.prototype._draw.call(this);
      if (!this._map || !this._bounds) { return; }
      var T0 = performance.now();
      this._display();
      var T1 = performance.now();
      var ctx = this._ctx, b = this._redrawBounds, d = this._disp, i, st, x, y, r, n;
      ctx.save();
      if (b) {
        var size = b.getSize();
        ctx.beginPath();
        ctx.rect(b.min.x, b.min.y, size.x, size.y);
        ctx.clip();
      }
      for (i = 0; i < d.sRec.length; i++) {
        st = d.sRec[i].st;
        ctx.beginPath();
        ctx.arc(d.sX[i], d.sY[i], st.r, 0, Math.PI * 2, false);
        ctx.globalAlpha = st.fo;
        ctx.fillStyle = st.fill;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.lineWidth = st.w;
        ctx.strokeStyle = st.stroke;
        ctx.stroke();
      }
      ctx.font = CLUSTER_FONT;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (i = 0; i < d.cObj.length; i++) {
        x = d.cX[i]; y = d.cY[i]; n = d.cObj[i].n; r = clusterSize(n) / 2;
        st = CLUSTER[d.cKind[i]];
        ctx.beginPath();                       /* the 4 px halo (box-shadow: 0 0 0 4px) */
        ctx.arc(x, y, r + 4, 0, Math.PI * 2, false);
        ctx.arc(x, y, r, 0, Math.PI * 2, true);
        ctx.fillStyle = 'rgba(0, 0, 0, 0.18)';
        ctx.fill();
        ctx.beginPath();
        ctx.arc(x, y, r, 0, Math.PI * 2, false);
        ctx.fillStyle = st.fill;
        ctx.fill();
        ctx.fillStyle = st.text;
        ctx.fillText(String(n), x, y + 0.5);
      }
      ctx.restore();
      if (RTCC.debugTimes) { RTCC.lastDraw = { display: T1 - T0, paint: performance.now() - T1, singles: d.sRec.length, clusters: d.cObj.length }; }
    },

    /* What is on screen now: singles and clusters in layer pixels (rebuilt when the view or data change). */
    _display: function () {
      var m = this._map, z = m.getZoom(), org = m.getPixelOrigin(), b = this._bounds;
      var key = z + '|' + org.x + ',' + org.y + '|' + b.min.x + ',' + b.min.y + ',' + b.max.x + ',' + b.max.y + '|' + dataVersion;
      if (this._disp && this._dispKey === key) { return; }
      this._dispKey = key;
      var d = this._disp = { sRec: [], sX: [], sY: [], cObj: [], cKind: [], cX: [], cY: [] };
      var S = 256 * Math.pow(2, z), pad = 60;
      var x0 = b.min.x - pad, y0 = b.min.y - pad, x1 = b.max.x + pad, y1 = b.max.y + pad;
      var cluster = z < NO_CLUSTER_ZOOM, zi = Math.round(z);
      DRAW_ORDER.forEach(function (k) {
        var grp = pointGroups[k];
        if (!grp.visible) { return; }
        var c = cluster ? grp.clusterAt(zi) : (grp.compact(), null), items = grp.items, i, e, x, y;
        for (i = 0; i < items.length; i++) {
          if (c && c.member[i] >= 0) { continue; }
          e = items[i];
          x = Math.round(e.x * S) - org.x;
          if (x < x0 || x > x1) { continue; }
          y = Math.round(e.y * S) - org.y;
          if (y < y0 || y > y1) { continue; }
          d.sRec.push(e); d.sX.push(x); d.sY.push(y);
        }
      });
      if (!cluster) { return; }
      DRAW_ORDER.forEach(function (k) {
        var grp = pointGroups[k];
        if (!grp.visible) { return; }
        var cl = grp.clusterAt(zi).clusters, i, cc, x, y;
        for (i = 0; i < cl.length; i++) {
          cc = cl[i];
          x = Math.round(mercX(cc.slo / cc.n) * S) - org.x;
          if (x < x0 || x > x1) { continue; }
          y = Math.round(mercY(cc.sla / cc.n) * S) - org.y;
          if (y < y0 || y > y1) { continue; }
          d.cObj.push(cc); d.cKind.push(k); d.cX.push(x); d.cY.push(y);
        }
      });
    },

    /* The topmost point or cluster under a layer point, or null. */
    hitAt: function (p) {
      var d = this._disp, i, dx, dy, r, st;
      if (!d) { return null; }
      for (i = d.cObj.length - 1; i >= 0; i--) {
        dx = d.cX[i] - p.x; dy = d.cY[i] - p.y; r = clusterSize(d.cObj[i].n) / 2;
        if (dx * dx + dy * dy <= r * r) { return { cluster: d.cObj[i], kind: d.cKind[i] }; }
      }
      for (i = d.sRec.length - 1; i >= 0; i--) {
        st = d.sRec[i].st;
        dx = d.sX[i] - p.x; dy = d.sY[i] - p.y; r = st.r + st.w / 2 + 1;
        if (dx * dx + dy * dy <= r * r) { return { rec: d.sRec[i] }; }
      }
      return null;
    },

    _onClick: function (e) {
      /* While a geofence is drawn, a click on a point adds a vertex there instead of opening it. */
      if (e.type === 'click' && !draw && this._map && !this._map._draggableMoved(this._map)) {
        var hit = this.hitAt(this._map.mouseEventToLayerPoint(e));
        if (hit) {
          L.DomEvent.stop(e);
          if (hit.cluster) { zoomToCluster(hit.cluster); } else { openPopupFor(hit.rec); }
          return;
        }
      }
      L.Canvas.prototype._onClick.call(this, e);
    },

    _handleMouseHover: function (e, point) {
      if (this._mouseHoverThrottled) { return; }
      L.Canvas.prototype._handleMouseHover.call(this, e, point);
      if (this.hitAt(point)) {
        L.DomUtil.addClass(this._container, 'leaflet-interactive');
      } else if (!this._hoveredLayer) {
        L.DomUtil.removeClass(this._container, 'leaflet-interactive');
      }
    }
  });

  function zoomToCluster(cc) {
    var bounds = L.latLngBounds([cc.s, cc.w], [cc.nn, cc.e]), centre = L.latLng(cc.sla / cc.n, cc.slo / cc.n);
    var boundsZoom = map.getBoundsZoom(bounds), zoom = map.getZoom();
    if (boundsZoom <= zoom) { map.setView(centre, zoom + 1); } else { map.fitBounds(bounds); }
  }

  /* ------------------------------------------------------------- popups */
  var popup = null, popupRef = null;

  function popupFor(rec) {
    var root = el('div', 'rtcc-popup');
    root.appendChild(el('div', 'rtcc-popup-kind rtcc-kind-' + rec.k, rec.kl || KIND_LABELS[rec.k] || rec.k));
    root.appendChild(el('div', 'rtcc-popup-title', rec.ti || ''));
    var table = el('table', 'rtcc-popup-fields');
    var rows = (rec.t !== null && rec.t !== undefined) ? [['Time', fmtTime(rec.t)]] : [];
    rows = rows.concat(rec.f || []);
    rows.forEach(function (pair) {
      var tr = el('tr');
      tr.appendChild(el('th', null, pair[0]));
      tr.appendChild(el('td', null, pair[1]));
      table.appendChild(tr);
    });
    root.appendChild(table);
    if (!rec.f) {
      root.appendChild(el('div', 'rtcc-popup-loading', rec.missing ? 'No details: the record is no longer in the cache' : 'Loading details…'));
    }
    var actions = el('div', 'rtcc-popup-actions');
    function button(label, fn, cls) {
      var b = el('button', 'rtcc-btn' + (cls ? ' ' + cls : ''), label);
      b.type = 'button';
      L.DomEvent.on(b, 'click', function (ev) { L.DomEvent.stop(ev); fn(); });
      actions.appendChild(b);
    }
    var ref = rec.r;
    button('Select', function () { call('select', ref); }, 'rtcc-btn-primary');
    if (rec.k !== 'camera') {
      button('Cameras that see this', function () { call('camerasSeeing', ref); });
    }
    button('What was near', function () { call('whatWasNear', ref); });
    root.appendChild(actions);
    return root;
  }

  /* Ask Python for a record's popup text (the answer arrives as a "details" message). */
  function askDetails(rec) {
    if (!rec.f && !rec.missing) { call('details', rec.r); }
  }

  function details(msg) {
    var rec = recs[msg.ref], d = msg.rec;
    if (!rec || (d && d.r !== msg.ref)) { return; }
    if (d) {
      rec.kl = typeof d.kl === 'string' ? d.kl : null;
      rec.ti = typeof d.ti === 'string' ? d.ti : '';
      rec.f = Array.isArray(d.f) ? d.f.filter(function (p) { return Array.isArray(p) && p.length === 2; }) : [];
    } else {
      rec.missing = true;  /* the store no longer has it (retention) */
    }
    if (popup && popupRef === msg.ref && popup.isOpen()) { popup.setContent(popupFor(rec)); }
  }

  /* Open a record's popup on the map itself, wherever it is drawn (alone or inside a cluster). */
  function openPopupFor(rec, latlng) {
    var offset = rec.g === 'hotlist' ? L.point(0, -12) : L.point(0, -4);
    popup = L.popup({ maxWidth: 360, offset: offset }).setLatLng(latlng || [rec.la, rec.lo]).setContent(popupFor(rec));
    popupRef = rec.r;
    popup.openOn(map);
    askDetails(rec);
  }

  /* Clicks on Leaflet layers (cameras, hot-list hits) of a group open that record's popup. */
  function popupOnClick(group) {
    group.on('click', function (e) {
      var layer = e.propagatedFrom || e.layer, rec = layer && recs[layer._rtccRef];
      if (draw) {  /* drawing a geofence: canvas layers pass the click on to the map; markers do not */
        if (layer instanceof L.Marker) { L.DomEvent.stop(e); drawClick(e.latlng); }
        return;
      }
      if (!rec) { return; }
      L.DomEvent.stop(e);
      openPopupFor(rec, layer.getLatLng ? layer.getLatLng() : e.latlng);
    });
  }

  /* ------------------------------------------------------------- layers */
  function cameraStyles(d) {
    var colour = CAMERA_COLOURS[d.own] || CAMERA_COLOURS.public;
    var live = d.acc === 'live';
    return {
      cone: { renderer: pts, color: colour, weight: live ? 1.5 : 1, opacity: live ? 0.9 : 0.7, dashArray: live ? null : '4 4',
              fillColor: colour, fillOpacity: live ? 0.22 : 0.07, className: 'rtcc-cone' },
      dot: { renderer: pts, radius: 5, color: colour, weight: 2, fillColor: live ? colour : '#1c1f24', fillOpacity: 1 }
    };
  }

  var hotIcon = null;
  function hotMarker(rec) {
    hotIcon = hotIcon || L.divIcon({ className: 'rtcc-hot-icon', html: '<div class="rtcc-hot-diamond"></div><div class="rtcc-hot-label">HOT</div>',
                                     iconSize: L.point(28, 28), iconAnchor: L.point(14, 14), popupAnchor: L.point(0, -12) });
    var m = L.marker([rec.la, rec.lo], { icon: hotIcon, zIndexOffset: 1000, keyboard: false });
    m._rtccRef = rec.r;
    return m;
  }

  function removeRec(ref) {
    var rec = recs[ref];
    if (!rec) { return; }
    if (pointGroups[rec.g]) {
      pointGroups[rec.g].remove(rec);
    } else {
      if (rec.m) { groups[rec.g].removeLayer(rec.m); }
      if (rec.c) { groups[rec.g].removeLayer(rec.c); counts.cones--; }
    }
    counts[rec.g]--;
    delete recs[ref];
  }

  /* A point record: into its group (or, for a hot-list hit, a marker of its own). */
  function addPoint(rec) {
    if (recs[rec.r]) { removeRec(rec.r); }  /* a record sent again (a feed edited it) replaces its marker */
    recs[rec.r] = rec;
    counts[rec.g]++;
    if (rec.g === 'hotlist') {
      rec.m = hotMarker(rec);
      groups.hotlist.addLayer(rec.m);
    } else {
      rec.st = rec.k === 'cad' ? POINT_STYLES.cad[rec.cls] || POINT_STYLES.cad.p0 : POINT_STYLES[rec.k];
      pointGroups[rec.g].add(rec);
    }
    refreshPopup(rec);
  }

  /* A record replaced while its popup is open: show the new text (events ask Python for it). */
  function refreshPopup(rec) {
    if (popup && popupRef === rec.r && popup.isOpen()) {
      popup.setContent(popupFor(rec));
      askDetails(rec);
    }
  }

  /* Records that left the map: an edit moved them out of the time window or took their location away. */
  function removeRefs(msg) {
    (Array.isArray(msg.refs) ? msg.refs : []).forEach(function (ref) {
      if (typeof ref === 'string') { removeRec(ref); }
    });
    dataVersion++;
    refreshHeat();
    ackAfterDraw(msg.seq);
  }

  /* Compact rows: [kind code, id, lat, lon, epoch s or null, style] (style: CAD priority 0-4, ALPR 1 = hot-list hit). */
  function addRows(rows) {
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i], k = ROW_KINDS[row[0]], la = row[2], lo = row[3];
      if (!k || typeof la !== 'number' || typeof lo !== 'number' || typeof row[1] !== 'number') { continue; }
      var hot = k === 'alpr' && row[5] === 1;
      var rec = new Rec(k + ':' + row[1], k, hot ? 'hotlist' : k, la, lo, typeof row[4] === 'number' ? row[4] * 1000 : null);
      if (k === 'cad') {
        rec.cls = PRIORITY_COLOURS['p' + row[5]] ? 'p' + row[5] : 'p0';
        rec.w = rec.cls === 'p1' ? 2 : 1;
      }
      if (k === 'gunshot') { rec.w = 2; }
      addPoint(rec);
    }
  }

  /* Full records (map_payload.to_page): cameras, and anything sent with its popup text. */
  function addRecords(list) {
    for (var i = 0; i < list.length; i++) {
      var d = list[i];
      if (typeof d.la !== 'number' || typeof d.lo !== 'number' || !d.r || !KIND_LABELS[d.k]) { continue; }
      var g = d.k === 'alpr' && d.hot ? 'hotlist' : d.k;
      var rec = new Rec(d.r, d.k, g, d.la, d.lo, typeof d.t === 'number' ? d.t : null);
      rec.kl = d.kl || null; rec.ti = d.ti || ''; rec.f = Array.isArray(d.f) ? d.f : [];
      if (d.k === 'cad') { rec.cls = PRIORITY_COLOURS[d.cls] ? d.cls : 'p0'; }
      rec.w = d.w || 1;
      if (d.k !== 'camera') { addPoint(rec); continue; }
      if (recs[rec.r]) { removeRec(rec.r); }
      recs[rec.r] = rec;
      var st = cameraStyles(d);
      if (d.cone && d.cone.length > 2) {
        rec.c = L.polygon(d.cone, st.cone);
        rec.c._rtccRef = rec.r;
        groups.camera.addLayer(rec.c);
        counts.cones++;
      }
      rec.m = L.circleMarker([d.la, d.lo], st.dot);
      rec.m._rtccRef = rec.r;
      groups.camera.addLayer(rec.m);
      counts.camera++;
      refreshPopup(rec);
    }
  }

  /* Redraw, then tell Python (the acknowledgement means "on screen"). If the page is hidden and
   * draws no frames, acknowledge anyway after a moment so Python's view of the counts stays fresh. */
  var pendingAck = null, ackTimer = null;
  function ackAfterDraw(seq) {
    pendingAck = seq;
    pts.redrawAll();
    if (!ackTimer) { ackTimer = setTimeout(flushAck, 250); }
  }
  function flushAck() {
    if (ackTimer) { clearTimeout(ackTimer); ackTimer = null; }
    if (pendingAck === null) { return; }
    var seq = pendingAck;
    pendingAck = null;
    ack(seq);
  }

  function applyDeltas(batch) {
    var T0 = performance.now(), n = 0;
    batch.forEach(function (msg) {
      if (Array.isArray(msg.rows)) { addRows(msg.rows); n += msg.rows.length; }
      if (Array.isArray(msg.records)) { addRecords(msg.records); n += msg.records.length; }
    });
    dataVersion++;
    var T1 = performance.now();
    refreshHeat();
    ackAfterDraw(batch[batch.length - 1].seq);
    if (RTCC.debugTimes) {
      var drawn = pts.onDrawn;
      pts.onDrawn = function () {
        pts.onDrawn = drawn;
        var ld = RTCC.lastDraw || {};
        console.log('delta ' + n + ': add ' + (T1 - T0).toFixed(1) + ' ms, drawn ' + (performance.now() - T0).toFixed(1) +
                    ' ms after it came (clustering + what is on screen ' + (ld.display || 0).toFixed(1) + ', paint ' +
                    (ld.paint || 0).toFixed(1) + '; ' + ld.singles + ' points, ' + ld.clusters + ' clusters)');
        drawn();
      };
    }
  }

  function prune(msg) {
    var since = msg.since, until = msg.until;
    for (var ref in recs) {
      var t = recs[ref].t;
      if (t === null || t === undefined) { continue; }
      if ((since !== null && since !== undefined && t < since) || (until !== null && until !== undefined && t > until)) {
        removeRec(ref);
      }
    }
    dataVersion++;
    refreshHeat();
    ackAfterDraw(msg.seq);
  }

  function reset(msg) {
    var keep = {};
    (msg.keep || []).forEach(function (k) { keep[k] = true; });
    ROW_KINDS.forEach(function (g) { if (!keep[g]) { pointGroups[g].clear(); counts[g] = 0; } });
    ['camera', 'hotlist'].forEach(function (g) { if (!keep[g]) { groups[g].clearLayers(); counts[g] = 0; } });
    var kept = {};
    for (var ref in recs) { if (keep[recs[ref].g]) { kept[ref] = recs[ref]; } }
    recs = kept;
    if (!keep.camera) { counts.cones = 0; }
    dataVersion++;
    refreshHeat();
    ackAfterDraw(msg.seq);
  }

  var heatDirty = true;

  function refreshHeat() {
    heatDirty = true;
    if (!heat || !map.hasLayer(heat)) { return; }  /* rebuilt when switched on */
    heatDirty = false;
    var n = 0, xyw, k, items, i, j = 0;
    for (k in heatKinds) { n += pointGroups[k].items.length; }
    xyw = new Float64Array(n * 3);
    for (k in heatKinds) {
      items = pointGroups[k].items;
      for (i = 0; i < items.length; i++) {
        if (items[i].dead) { continue; }
        xyw[j++] = items[i].x; xyw[j++] = items[i].y; xyw[j++] = items[i].w;
      }
    }
    heat.setProjected(xyw.subarray(0, j));
  }

  /* ------------------------------------------------------------- selection */
  function select(msg) {
    selLayer.clearLayers();
    if (!msg.ref) { return; }
    var rec = recs[msg.ref];
    var lat = rec ? rec.la : msg.lat, lon = rec ? rec.lo : msg.lon;
    if (typeof lat !== 'number' || typeof lon !== 'number') { return; }
    L.circleMarker([lat, lon], { pane: 'rtccSel', renderer: RTCC._svg, radius: 16, color: '#00e5ff', weight: 3,
                                 fill: false, className: 'rtcc-sel-ring', interactive: false }).addTo(selLayer);
    if (msg.pan && !map.getBounds().pad(-0.1).contains([lat, lon])) {
      map.panTo([lat, lon]);
    }
    if (msg.pan && rec && !msg.quiet && !(map._popup && map._popup.isOpen && map._popup.isOpen())) {
      openPopupFor(rec);
    }
  }

  function highlight(msg) {
    hlLayer.clearLayers();
    var list = [];
    (msg.points || []).forEach(function (p) {
      if (typeof p[0] !== 'number' || typeof p[1] !== 'number') { return; }
      list.push([p[0], p[1]]);
      L.circleMarker([p[0], p[1]], { pane: 'rtccSel', renderer: RTCC._svg, radius: 11, color: '#ffd60a', weight: 2,
                                     dashArray: '3 3', fill: false, interactive: false }).addTo(hlLayer);
    });
    if (msg.centre && typeof msg.centre[0] === 'number') {
      L.circle(msg.centre, { pane: 'rtccSel', renderer: RTCC._svg, radius: msg.radius || 250, color: '#ffd60a',
                             weight: 1, dashArray: '6 6', fillOpacity: 0.04, interactive: false }).addTo(hlLayer);
      list.push(msg.centre);
    }
    if (msg.fit && list.length) {
      map.fitBounds(L.latLngBounds(list).pad(0.3), { maxZoom: 17 });
    }
  }

  function fitAll() {
    var s = 90, w = 180, n = -90, e = -180, any = false;
    for (var ref in recs) {
      var r = recs[ref];
      any = true;
      if (r.la < s) { s = r.la; }
      if (r.la > n) { n = r.la; }
      if (r.lo < w) { w = r.lo; }
      if (r.lo > e) { e = r.lo; }
    }
    if (any) { map.fitBounds(L.latLngBounds([s, w], [n, e]).pad(0.05), { maxZoom: 16 }); }
  }

  /* Once the analyst has moved the map, automatic fitting (as data first arrives) stops. */
  var userMoved = false;

  var tileRound = 0;
  function retiles() {
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer && layer._url) {
        tileRound++;
        layer.setUrl(layer._url.split('?')[0] + '?retry=' + tileRound);
      }
    });
  }

  function setHeat(on) {
    if (on && !map.hasLayer(heat)) { map.addLayer(heat); if (heatDirty) { refreshHeat(); } }
    if (!on && map.hasLayer(heat)) { map.removeLayer(heat); }
  }

  function setLayers(msg) {
    Object.keys(msg.visible || {}).forEach(function (name) {
      var layer = name === 'heat' ? heat : groups[name];
      if (!layer) { return; }
      if (msg.visible[name] && !map.hasLayer(layer)) { map.addLayer(layer); }
      if (!msg.visible[name] && map.hasLayer(layer)) { map.removeLayer(layer); }
    });
  }

  /* ------------------------------------------------------------- geofences */
  /* Fences come from Python ("geofences" message) and are drawn on the points canvas, under
   * everything else, with their name as a label. Draw mode is our own (no Leaflet.draw offline):
   * polygon = click the vertices, then double-click, Enter or click the first vertex; Backspace
   * drops the last vertex; circle = click the centre, move, click again for the radius; Esc
   * cancels. The finished shape goes to Python (bridge.geofenceDrawn), which checks it, asks for
   * a name and saves it; until then it stays on the map, dashed. Names are set as text only. */
  var fenceLayer = null, fenceLayers = {}, draftLayer = null, drawHint = null, drawLabel = null;
  var draw = null, pendingShape = null, dblZoomWas = true;
  var FENCE_STYLE = { color: '#ffcc00', weight: 2, opacity: 0.95, fillColor: '#ffcc00', fillOpacity: 0.07 };
  var FENCE_OFF_STYLE = { color: '#9aa0a6', weight: 1.5, opacity: 0.8, dashArray: '6 5', fillColor: '#9aa0a6', fillOpacity: 0.03 };
  var DRAFT_STYLE = { color: '#00e5ff', weight: 2, opacity: 1, dashArray: '6 4', fillColor: '#00e5ff', fillOpacity: 0.08, interactive: false };
  var CLOSE_PX = 10, SAME_PX = 4, MIN_RADIUS_M = 5;

  function isLatLng(p) {
    return Array.isArray(p) && p.length === 2 && typeof p[0] === 'number' && typeof p[1] === 'number' &&
           isFinite(p[0]) && isFinite(p[1]) && Math.abs(p[0]) <= 90 && Math.abs(p[1]) <= 180;
  }

  function fmtMetres(m) {
    var text = m < 1000 ? Math.round(m) + ' m' : (m / 1000).toFixed(2) + ' km';
    if (cfg.imperial) { text += ' (' + Math.round(m * 3.28084).toLocaleString('en-US') + ' ft)'; }
    return text;
  }

  function fenceDescription(f) {
    if (f.shape === 'circle') { return 'Circle, radius ' + fmtMetres(f.radius_m); }
    return 'Polygon, ' + f.points.length + ' points';
  }

  function fencePopupFor(f) {
    var root = el('div', 'rtcc-popup rtcc-fence-popup');
    root.appendChild(el('div', 'rtcc-popup-kind rtcc-kind-geofence', f.active ? 'Geofence' : 'Geofence (disabled)'));
    root.appendChild(el('div', 'rtcc-popup-title', f.name));
    var table = el('table', 'rtcc-popup-fields');
    [['Shape', fenceDescription(f)], ['Alerts on', typeof f.rule === 'string' ? f.rule : '']].forEach(function (pair) {
      var tr = el('tr');
      tr.appendChild(el('th', null, pair[0]));
      tr.appendChild(el('td', null, pair[1]));
      table.appendChild(tr);
    });
    root.appendChild(table);
    var actions = el('div', 'rtcc-popup-actions');
    var del = el('button', 'rtcc-btn rtcc-btn-danger', 'Delete geofence…');
    del.type = 'button';
    var name = f.name;
    L.DomEvent.on(del, 'click', function (ev) { L.DomEvent.stop(ev); map.closePopup(); call('geofenceDelete', name); });
    actions.appendChild(del);
    root.appendChild(actions);
    return root;
  }

  function openFencePopup(layer, latlng) {
    var f = layer._rtccFence;
    L.popup({ maxWidth: 340 }).setLatLng(latlng || layer.getBounds().getCenter()).setContent(fencePopupFor(f)).openOn(map);
  }

  function setFences(msg) {
    clearPending();
    fenceLayer.clearLayers();
    fenceLayers = {};
    (Array.isArray(msg.fences) ? msg.fences : []).forEach(function (f) {
      if (!f || typeof f.name !== 'string' || !f.name) { return; }
      var style = L.extend({ renderer: pts, className: 'rtcc-fence' }, f.active ? FENCE_STYLE : FENCE_OFF_STYLE), layer;
      if (f.shape === 'circle' && isLatLng(f.center) && typeof f.radius_m === 'number' && f.radius_m > 0 && isFinite(f.radius_m)) {
        layer = L.circle(f.center, L.extend({ radius: f.radius_m }, style));
      } else if (f.shape === 'polygon' && Array.isArray(f.points)) {
        var ring = f.points.filter(isLatLng);
        if (ring.length < 3) { return; }
        layer = L.polygon(ring, style);
      } else {
        return;
      }
      layer._rtccFence = { name: f.name, shape: f.shape, active: !!f.active, rule: f.rule,
                           points: f.points, radius_m: f.radius_m };
      layer.bindTooltip(el('span', null, f.name), { permanent: true, direction: 'center', interactive: false,
                                                    className: 'rtcc-fence-label' + (f.active ? '' : ' rtcc-fence-label-off') });
      fenceLayer.addLayer(layer);
      fenceLayers[f.name] = layer;
    });
    fencesToBack();
    ackAfterDraw(msg.seq);
  }

  /* Fences under cameras on the shared canvas: a click inside a fence still reaches a camera cone over it. */
  function fencesToBack() {
    if (!map.hasLayer(fenceLayer)) { return; }
    fenceLayer.eachLayer(function (layer) { layer.bringToBack(); });
  }

  function showFence(msg) {
    var layer = fenceLayers[msg.name];
    if (!layer) { return; }
    if (!map.hasLayer(fenceLayer)) { map.addLayer(fenceLayer); }
    map.fitBounds(layer.getBounds().pad(0.25), { maxZoom: 17, animate: false });
    openFencePopup(layer);
  }

  function fenceClick(e) {
    var layer = e.propagatedFrom || e.layer;
    if (draw || !layer || !layer._rtccFence) { return; }  /* drawing: the click goes on to the map (a vertex) */
    L.DomEvent.stop(e);
    openFencePopup(layer, e.latlng);
  }

  /* --- draw mode */
  function px(ll) { return map.latLngToContainerPoint(ll); }
  function near(a, b, limit) { return px(a).distanceTo(px(b)) <= limit; }

  function setHint(text) {
    drawHint.textContent = text || '';
    drawHint.style.display = text ? 'block' : 'none';
  }

  function hintFor() {
    if (!draw) { return ''; }
    if (draw.shape === 'polygon') {
      var n = draw.pts.length;
      return 'Geofence polygon: ' + n + ' point' + (n === 1 ? '' : 's') + '. Click to add points; ' +
             (n >= 3 ? 'double-click, Enter or click the first point to finish; ' : '') +
             'Backspace removes the last point; Esc cancels.';
    }
    if (!draw.center) { return 'Geofence circle: click the centre. Esc cancels.'; }
    return 'Geofence circle: radius ' + fmtMetres(draw.radius) + '. Click to set the radius; Esc cancels.';
  }

  function redrawDraft() {
    draftLayer.clearLayers();
    if (!draw) { return; }
    var svg = { renderer: RTCC._svg, pane: 'rtccSel' };
    if (draw.shape === 'polygon') {
      var line = draw.pts.slice();
      if (draw.mouse && line.length) { line.push(draw.mouse); }
      if (line.length >= 3) {
        L.polygon(line, L.extend({}, DRAFT_STYLE, svg)).addTo(draftLayer);
      } else if (line.length === 2) {
        L.polyline(line, L.extend({}, DRAFT_STYLE, svg)).addTo(draftLayer);
      }
      draw.pts.forEach(function (p, i) {
        var first = i === 0 && draw.pts.length >= 3;
        L.circleMarker(p, L.extend({ radius: first ? 7 : 4, color: '#00e5ff', weight: 2, fillColor: first ? '#00e5ff' : '#0b1a22',
                                      fillOpacity: 1, interactive: false }, svg)).addTo(draftLayer);
      });
    } else if (draw.center) {
      L.circleMarker(draw.center, L.extend({ radius: 4, color: '#00e5ff', weight: 2, fillColor: '#0b1a22', fillOpacity: 1,
                                             interactive: false }, svg)).addTo(draftLayer);
      if (draw.radius > 0) {
        L.circle(draw.center, L.extend({ radius: draw.radius }, DRAFT_STYLE, svg)).addTo(draftLayer);
        if (draw.mouse) { L.polyline([draw.center, draw.mouse], L.extend({}, DRAFT_STYLE, svg, { weight: 1 })).addTo(draftLayer); }
      }
    }
    if (draw.shape === 'circle' && draw.center && draw.mouse) {
      drawLabel.setLatLng(draw.mouse).setContent(el('span', null, fmtMetres(draw.radius)));
      draftLayer.addLayer(drawLabel);
    }
    setHint(hintFor());
  }

  function startDraw(shape, at) {
    if (shape !== 'polygon' && shape !== 'circle') { return; }
    if (draw) { endDraw(); }
    clearPending();
    map.closePopup();
    draw = { shape: shape, pts: [], center: null, radius: 0, mouse: null };
    dblZoomWas = map.doubleClickZoom.enabled();
    map.doubleClickZoom.disable();
    L.DomUtil.addClass(map.getContainer(), 'rtcc-drawing');
    call('geofenceDrawing', shape);
    if (at) { drawClick(at); } else { redrawDraft(); }
  }

  function endDraw() {
    draw = null;
    draftLayer.clearLayers();
    setHint('');
    if (dblZoomWas) { map.doubleClickZoom.enable(); }
    L.DomUtil.removeClass(map.getContainer(), 'rtcc-drawing');
  }

  function clearPending() {
    if (pendingShape) { draftLayer.removeLayer(pendingShape); map.removeLayer(pendingShape); pendingShape = null; }
  }

  /* Esc, or Python's "drawCancel": leave draw mode and drop a shape not saved yet. */
  function cancelDraw() {
    var was = !!draw;
    if (draw) { endDraw(); }
    clearPending();
    if (was) { call('geofenceCancelled'); }
  }

  function finishDraw() {
    var payload, shape;
    if (draw.shape === 'polygon') {
      if (draw.pts.length < 3) { setHint('A geofence polygon needs at least 3 points. ' + hintFor()); return; }
      payload = { shape: 'polygon', points: draw.pts.map(function (p) { return [p.lat, p.lng]; }) };
      shape = L.polygon(draw.pts, L.extend({}, DRAFT_STYLE, { renderer: RTCC._svg, pane: 'rtccSel' }));
    } else {
      payload = { shape: 'circle', center: [draw.center.lat, draw.center.lng], radius_m: draw.radius };
      shape = L.circle(draw.center, L.extend({ radius: draw.radius }, DRAFT_STYLE, { renderer: RTCC._svg, pane: 'rtccSel' }));
    }
    endDraw();
    pendingShape = shape.addTo(map);
    call('geofenceDrawn', JSON.stringify(payload));
  }

  function drawClick(ll) {
    if (draw.shape === 'polygon') {
      var n = draw.pts.length;
      if (n >= 3 && near(ll, draw.pts[0], CLOSE_PX)) { finishDraw(); return; }
      if (n && near(ll, draw.pts[n - 1], SAME_PX)) { return; }  /* the second click of a double-click */
      draw.pts.push(ll);
    } else if (!draw.center) {
      draw.center = ll;
      draw.radius = 0;
    } else {
      var r = draw.center.distanceTo(ll);
      if (r < MIN_RADIUS_M) { return; }
      draw.radius = r;
      finishDraw();
      return;
    }
    redrawDraft();
  }

  function onDrawClick(e) { if (draw) { drawClick(e.latlng); } }
  function onDrawDblClick(e) {
    if (!draw) { return; }
    L.DomEvent.stop(e);
    if (draw.shape === 'polygon' && draw.pts.length >= 3) { finishDraw(); }
  }
  function onDrawMove(e) {
    if (!draw) { return; }
    draw.mouse = e.latlng;
    if (draw.shape === 'circle' && draw.center) { draw.radius = draw.center.distanceTo(e.latlng); }
    if (draw.shape === 'circle' || draw.pts.length) { redrawDraft(); }
  }
  function onDrawKey(e) {
    if (!draw) { return; }
    if (e.key === 'Escape' || e.key === 'Esc') {
      e.preventDefault();
      cancelDraw();
    } else if (e.key === 'Enter' && draw.shape === 'polygon') {
      e.preventDefault();
      finishDraw();
    } else if (e.key === 'Backspace' || e.key === 'Delete') {
      e.preventDefault();
      if (draw.shape === 'polygon') { draw.pts.pop(); } else { draw.center = null; draw.radius = 0; }
      redrawDraft();
    }
  }

  function setupFences() {
    fenceLayer = groups.geofence = L.featureGroup();
    fenceLayer.on('click', fenceClick);
    fenceLayer.on('add', fencesToBack);
    map.addLayer(fenceLayer);
    draftLayer = L.layerGroup().addTo(map);
    /* 'auto': right of the cursor on the map's left half, left of it on the right half (never off the edge). */
    drawLabel = L.tooltip({ permanent: true, direction: 'auto', className: 'rtcc-draw-label', interactive: false });
    drawHint = el('div', 'rtcc-draw-hint');
    drawHint.style.display = 'none';
    map.getContainer().appendChild(drawHint);
    L.DomEvent.disableClickPropagation(drawHint);
    map.on('click', onDrawClick);
    map.on('dblclick', onDrawDblClick);
    map.on('mousemove', onDrawMove);
    L.DomEvent.on(document, 'keydown', onDrawKey);
  }

  /* For tests and the self-test: the fences shown ({name, label, shape, active}) and the draw state. */
  RTCC.fences = function () {
    return Object.keys(fenceLayers).map(function (name) {
      var layer = fenceLayers[name], tip = layer.getTooltip(), f = layer._rtccFence;
      return { name: f.name, label: tip && tip.getElement() ? tip.getElement().textContent : null, shape: f.shape, active: f.active,
               labelHtml: tip && tip.getElement() ? tip.getElement().innerHTML : null };
    });
  };
  RTCC.drawState = function () {
    return { shape: draw ? draw.shape : null, points: draw ? draw.pts.length : 0, center: !!(draw && draw.center),
             radius: draw ? draw.radius : 0, pending: !!pendingShape, hint: drawHint ? drawHint.textContent : '' };
  };
  RTCC.startDraw = startDraw;
  /* For tests: call the bridge exactly as the page does (any script on the page could). */
  RTCC._call = call;
  /* Open a fence's popup as a click would; returns the popup's root element (or null). */
  RTCC.openFence = function (name) {
    var layer = fenceLayers[name];
    if (!layer) { return null; }
    openFencePopup(layer);
    return map._popup ? map._popup.getElement() : null;
  };

  /* Messages are applied one at a time, in order. */
  var queue = [];
  function pump() {
    while (queue.length) {
      /* A bulk load arrives in chunks flagged "more": wait for its last chunk, then apply it all at once. */
      if (queue[0].op === 'delta') {
        var complete = false;
        for (var q = 0; q < queue.length; q++) {
          if (queue[q].op !== 'delta' || !queue[q].more) { complete = true; break; }
        }
        if (!complete) { return; }
      }
      var msg = queue.shift();
      try {
        switch (msg.op) {
          case 'delta': {
            /* Consecutive deltas are applied as one: one clustering pass and one frame instead of many. */
            var batch = [msg];
            while (queue.length && queue[0].op === 'delta') { batch.push(queue.shift()); }
            applyDeltas(batch);
            break;
          }
          case 'prune': prune(msg); break;
          case 'remove': removeRefs(msg); break;
          case 'reset': reset(msg); break;
          case 'details': details(msg); break;
          case 'select': select(msg); break;
          case 'highlight': highlight(msg); break;
          case 'heat': setHeat(!!msg.on); break;
          case 'layers': setLayers(msg); break;
          case 'view': map.setView([msg.lat, msg.lon], msg.zoom); break;
          case 'fit': if (msg.force || !userMoved) { fitAll(); } break;
          case 'retiles': retiles(); break;
          case 'config': if (msg.tz) { setTimeZone(msg.tz); } break;
          case 'geofences': setFences(msg); break;
          case 'geofenceShow': showFence(msg); break;
          case 'draw': startDraw(msg.shape); break;
          case 'drawCancel': cancelDraw(); break;
          default: console.error('rtcc: unknown message ' + msg.op);
        }
      } catch (e) {
        console.error('rtcc: ' + msg.op + ' failed: ' + e);
      }
    }
  }

  function handle(text) {
    var msg, tp = performance.now();
    try {
      msg = JSON.parse(text);
      if (RTCC.debugTimes) { console.log('parse ' + text.length + ' ' + (performance.now() - tp).toFixed(1)); }
    } catch (e) { console.error('rtcc: bad message from the app: ' + e); return; }
    queue.push(msg);
    pump();
  }
  RTCC.handle = handle;

  RTCC.stats = function () {
    var out = {};
    Object.keys(counts).forEach(function (k) { out[k] = counts[k]; });
    out.heat = counts.cad + counts.gunshot;  /* the heat layer's points */
    out.heat_on = !!(heat && map.hasLayer(heat));
    out.selected = selLayer ? selLayer.getLayers().length : 0;
    out.highlighted = hlLayer ? hlLayer.getLayers().length : 0;
    out.geofence = Object.keys(fenceLayers).length;
    out.drawing = draw ? draw.shape : null;
    return out;
  };
  /* For tests and the self-test: the popup a record would show, as text. */
  RTCC.popupText = function (ref) {
    var rec = recs[ref];
    return rec ? popupFor(rec).textContent : null;
  };
  RTCC.openPopup = function (ref) {
    var rec = recs[ref];
    if (!rec) { return false; }
    openPopupFor(rec);
    return true;
  };
  /* Read-only view of the records on the page (tests and the screenshot script): ref -> {k, cls, t, la, lo, ...}. */
  RTCC._recs = function () { return recs; };
  /* For tests: what is drawn now, and where (container pixels), so a test can click it. */
  RTCC.drawn = function () {
    var d = pts._disp || { sRec: [], cObj: [] }, org = map.getPixelOrigin(), pane = map._getMapPanePos();
    function cp(x, y) { return [x + pane.x, y + pane.y]; }
    return {
      points: d.sRec.map(function (r, i) { return { ref: r.r, at: cp(d.sX[i], d.sY[i]) }; }),
      clusters: d.cObj.map(function (c, i) { return { kind: d.cKind[i], n: c.n, at: cp(d.cX[i], d.cY[i]) }; }),
      origin: [org.x, org.y]
    };
  };
  RTCC.visibleLayers = function () {
    var out = {};
    Object.keys(groups).forEach(function (g) { out[g] = map.hasLayer(groups[g]); });
    out.heat = map.hasLayer(heat);
    return out;
  };

  function reportView() {
    var c = map.getCenter(), b = map.getBounds();
    call('viewChanged', JSON.stringify({ lat: c.lat, lon: c.lng, zoom: map.getZoom(),
                                         bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] }));
  }

  function contextMenu(e) {
    if (draw) { return; }
    var lat = e.latlng.lat, lon = e.latlng.lng, at = e.latlng;
    var root = el('div', 'rtcc-popup rtcc-ctx');
    root.appendChild(el('div', 'rtcc-popup-kind', lat.toFixed(5) + ', ' + lon.toFixed(5)));
    var actions = el('div', 'rtcc-popup-actions rtcc-ctx-actions');
    [['Cameras near here', 'camerasNear'], ['Search around here', 'searchAround']].forEach(function (a) {
      var b = el('button', 'rtcc-btn', a[0]);
      b.type = 'button';
      L.DomEvent.on(b, 'click', function (ev) { L.DomEvent.stop(ev); map.closePopup(ctxPopup); call(a[1], lat, lon); });
      actions.appendChild(b);
    });
    [['Draw geofence (polygon from here)', 'polygon'], ['Draw geofence (circle centred here)', 'circle']].forEach(function (a) {
      var b = el('button', 'rtcc-btn', a[0]);
      b.type = 'button';
      L.DomEvent.on(b, 'click', function (ev) { L.DomEvent.stop(ev); map.closePopup(ctxPopup); startDraw(a[1], at); });
      actions.appendChild(b);
    });
    root.appendChild(actions);
    ctxPopup = L.popup({ closeButton: true, className: 'rtcc-ctx-popup' }).setLatLng(e.latlng).setContent(root).openOn(map);
  }

  function legend() {
    var ctl = L.control({ position: 'bottomleft' });
    ctl.onAdd = function () {
      var box = el('div', 'rtcc-legend');
      var rows = [['#ff3b30', 'CAD P1'], ['#ff9500', 'CAD P2'], ['#ffd60a', 'CAD P3'], ['#34c759', 'CAD P4+'],
                  ['#ff2d55', 'Gunshot'], ['#5ac8fa', 'ALPR read'], ['hot', 'Hot-list hit'],
                  ['#3fa7ff', 'Camera (public)'], ['#c77dff', 'Camera (private)'], ['fence', 'Geofence']];
      rows.forEach(function (r) {
        var row = el('div', 'rtcc-legend-row');
        var sw = el('span', 'rtcc-swatch' + (r[0] === 'hot' ? ' rtcc-swatch-hot' : '') + (r[0] === 'fence' ? ' rtcc-swatch-fence' : ''));
        if (r[0] !== 'hot' && r[0] !== 'fence') { sw.style.background = r[0]; }
        row.appendChild(sw);
        row.appendChild(el('span', null, r[1]));
        box.appendChild(row);
      });
      box.appendChild(el('div', 'rtcc-legend-note', 'dashed cone = footage on request'));
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return ctl;
  }

  RTCC.init = function (leafletMap, config) {
    map = leafletMap;
    cfg = config || {};
    setTimeZone(cfg.tz);
    RTCC.map = map;
    map.createPane('rtccPoints');
    map.getPane('rtccPoints').style.zIndex = 450;   /* over base map and heat, under hot-list markers (600) */
    map.createPane('rtccSel');
    map.getPane('rtccSel').style.zIndex = 640;
    RTCC._svg = L.svg({ pane: 'rtccSel' });
    pts = RTCC._canvas = new L.RtccCanvas({ pane: 'rtccPoints' });
    pts.onDrawn = flushAck;
    map.addLayer(pts);
    groups.camera = L.featureGroup();
    groups.cad = new GroupLayer(pointGroups.cad);
    groups.gunshot = new GroupLayer(pointGroups.gunshot);
    groups.alpr = new GroupLayer(pointGroups.alpr);
    groups.hotlist = L.featureGroup();
    popupOnClick(groups.camera);
    popupOnClick(groups.hotlist);
    ['camera', 'cad', 'gunshot', 'alpr', 'hotlist'].forEach(function (g) { map.addLayer(groups[g]); });
    setupFences();
    selLayer = L.layerGroup().addTo(map);
    hlLayer = L.layerGroup().addTo(map);
    heat = L.rtccHeat([], { radius: 20, blur: 16 });
    var overlays = {
      'CAD incidents': groups.cad, 'Gunshots': groups.gunshot, 'ALPR reads': groups.alpr,
      'Hot-list hits': groups.hotlist, 'Cameras': groups.camera, 'Geofences': groups.geofence, 'Heat map': heat
    };
    L.control.layers(null, overlays, { collapsed: false, position: 'topright' }).addTo(map);
    legend().addTo(map);
    L.control.scale({ imperial: !!cfg.imperial }).addTo(map);
    var names = { 'CAD incidents': 'cad', 'Gunshots': 'gunshot', 'ALPR reads': 'alpr', 'Hot-list hits': 'hotlist',
                  'Cameras': 'camera', 'Geofences': 'geofence', 'Heat map': 'heat' };
    map.on('overlayadd', function (e) {
      if (e.layer === heat && heatDirty) { refreshHeat(); }
      call('layerToggled', names[e.name] || '', 1);
    });
    map.on('overlayremove', function (e) { call('layerToggled', names[e.name] || '', 0); });
    map.on('contextmenu', contextMenu);
    ['mousedown', 'wheel', 'touchstart', 'keydown'].forEach(function (name) {
      L.DomEvent.on(map.getContainer(), name, function () { userMoved = true; });
    });
    var viewTimer = null;
    map.on('moveend', function () { clearTimeout(viewTimer); viewTimer = setTimeout(reportView, 250); });

    if (typeof QWebChannel === 'undefined' || typeof qt === 'undefined') {
      console.error('rtcc: QWebChannel is not available; the map cannot talk to the app');
      return;
    }
    new QWebChannel(qt.webChannelTransport, function (channel) {
      bridge = channel.objects.bridge;
      bridge.push.connect(handle);
      RTCC.ready = true;
      reportView();
      bridge.ready();
    });
  };
}());
