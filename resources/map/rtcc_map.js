/* RTCC Desktop live map: layers, deltas from Python, and the bridge back.
 *
 * Python pushes JSON messages on bridge.push (QWebChannel); nothing here
 * ever reloads the page. Feed text is untrusted: every string from a record is
 * put on the page with textContent / createTextNode, never innerHTML.
 */
(function () {
  'use strict';

  var RTCC = window.RTCC = window.RTCC || {};
  var map = null, bridge = null, cfg = {};
  var groups = {}, recs = {}, heat = null, selLayer = null, hlLayer = null, ctxPopup = null;
  var counts = { cad: 0, gunshot: 0, alpr: 0, hotlist: 0, camera: 0, cones: 0 };
  var heatKinds = { cad: true, gunshot: true };
  RTCC.ready = false;
  RTCC.errors = [];

  /* markercluster marks every ancestor "bounds dirty" on each add, then recomputes those
   * clusters from all their children: a 1,000-record delta into 50,000 markers costs a pass
   * over nearly everything. For a marker added to a cluster whose bounds are up to date we
   * update the bounds and weighted centre in place instead (same result, O(levels)).
   * Removals and new clusters keep the original dirty marking, so "dirty => ancestors
   * dirty" still holds and the group's final recalculation finds them. */
  if (L.MarkerCluster && !L.MarkerCluster.prototype._rtccIncremental) {
    var addChild = L.MarkerCluster.prototype._addChild;
    L.MarkerCluster.prototype._addChild = function (child, fromChild) {
      var n = this._childCount, w = this._wLatLng, ll = child._latlng;
      if (this._boundsNeedUpdate === false && n > 0 && w && ll && !(child instanceof L.MarkerCluster)) {
        addChild.call(this, child, fromChild);
        this._bounds.extend(ll);
        this._latlng = this._wLatLng = new L.LatLng((w.lat * n + ll.lat) / (n + 1), (w.lng * n + ll.lng) / (n + 1));
        this._boundsNeedUpdate = false;
        return;
      }
      addChild.call(this, child, fromChild);
    };
    L.MarkerCluster.prototype._rtccIncremental = true;
  }
  /* For tests: do the incremental bounds agree with a full recalculation? Returns the largest error. */
  RTCC.checkClusterBounds = function () {
    var worst = 0;
    Object.keys(groups).forEach(function (g) {
      var top = groups[g]._topClusterLevel;
      if (!top) { return; }
      var seen = [];
      (function walk(c) { seen.push([c, c._wLatLng, c._bounds && c._bounds.isValid() ? c._bounds.toBBoxString() : null]);
        c._childClusters.forEach(walk); }(top));
      seen.forEach(function (s) { s[0]._boundsNeedUpdate = true; });
      top._recalculateBounds();
      seen.forEach(function (s) {
        var c = s[0];
        if (s[1] && c._wLatLng) { worst = Math.max(worst, Math.abs(s[1].lat - c._wLatLng.lat), Math.abs(s[1].lng - c._wLatLng.lng)); }
        if (s[2] !== (c._bounds.isValid() ? c._bounds.toBBoxString() : null)) { worst = Math.max(worst, 1); }
      });
    });
    return worst;
  };

  var PRIORITY_COLOURS = { p1: '#ff3b30', p2: '#ff9500', p3: '#ffd60a', p4: '#34c759', p0: '#8e8e93' };
  var CAMERA_COLOURS = { public: '#3fa7ff', private: '#c77dff' };

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

  function clusterIcon(kind) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? 30 : (n < 100 ? 36 : (n < 1000 ? 42 : 48));
      var div = el('div');
      div.appendChild(el('span', null, n));
      return L.divIcon({ html: div.outerHTML, className: 'marker-cluster rtcc-cluster rtcc-cluster-' + kind,
                         iconSize: L.point(size, size) });
    };
  }

  function makeCluster(kind, radius) {
    return L.markerClusterGroup({
      chunkedLoading: true, chunkInterval: 200, chunkDelay: 10,
      maxClusterRadius: radius, showCoverageOnHover: false, spiderfyOnMaxZoom: false,
      /* fewer cluster levels = faster adds: none above zoom 16, none below the map's minZoom */
      disableClusteringAtZoom: 17, iconCreateFunction: clusterIcon(kind)
    });
  }

  function call(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (bridge && typeof bridge[name] === 'function') { bridge[name].apply(bridge, args); }
  }

  function ack(seq) {
    call('applied', JSON.stringify({ seq: seq, counts: RTCC.stats() }));
  }

  /* ------------------------------------------------------------- popups */
  function popupFor(rec) {
    var d = rec.d;
    var root = el('div', 'rtcc-popup');
    root.appendChild(el('div', 'rtcc-popup-kind rtcc-kind-' + d.k, d.kl || d.k));
    root.appendChild(el('div', 'rtcc-popup-title', d.ti || ''));
    var table = el('table', 'rtcc-popup-fields');
    var rows = (d.t !== null && d.t !== undefined) ? [['Time', fmtTime(d.t)]].concat(d.f || []) : (d.f || []);
    rows.forEach(function (pair) {
      var tr = el('tr');
      tr.appendChild(el('th', null, pair[0]));
      tr.appendChild(el('td', null, pair[1]));
      table.appendChild(tr);
    });
    root.appendChild(table);
    var actions = el('div', 'rtcc-popup-actions');
    function button(label, fn, cls) {
      var b = el('button', 'rtcc-btn' + (cls ? ' ' + cls : ''), label);
      b.type = 'button';
      L.DomEvent.on(b, 'click', function (ev) { L.DomEvent.stop(ev); fn(); });
      actions.appendChild(b);
    }
    button('Select', function () { call('select', d.r); }, 'rtcc-btn-primary');
    if (d.k !== 'camera') {
      button('Cameras that see this', function () { call('camerasSeeing', d.r); });
    }
    button('What was near', function () { call('whatWasNear', d.r); });
    root.appendChild(actions);
    return root;
  }

  /* ------------------------------------------------------------- layers */
  function styleFor(d) {
    if (d.k === 'cad') {
      var c = PRIORITY_COLOURS[d.cls] || PRIORITY_COLOURS.p0;
      return { radius: d.cls === 'p1' ? 7 : 6, color: '#111', weight: 1, fillColor: c, fillOpacity: 0.9 };
    }
    if (d.k === 'gunshot') {
      return { radius: 7, color: '#fff', weight: 2, fillColor: '#ff2d55', fillOpacity: 0.95 };
    }
    if (d.k === 'alpr') {
      return { radius: 4, color: '#0b3d91', weight: 1, fillColor: '#5ac8fa', fillOpacity: 0.85 };
    }
    return { radius: 5 };
  }

  function cameraStyles(d) {
    var colour = CAMERA_COLOURS[d.own] || CAMERA_COLOURS.public;
    var live = d.acc === 'live';
    return {
      cone: { color: colour, weight: live ? 1.5 : 1, opacity: live ? 0.9 : 0.7, dashArray: live ? null : '4 4',
              fillColor: colour, fillOpacity: live ? 0.22 : 0.07, className: 'rtcc-cone' },
      dot: { radius: 5, color: colour, weight: 2, fillColor: live ? colour : '#1c1f24', fillOpacity: 1 }
    };
  }

  function hotIcon() {
    return L.divIcon({ className: 'rtcc-hot-icon', html: '<div class="rtcc-hot-diamond"></div><div class="rtcc-hot-label">HOT</div>',
                       iconSize: L.point(28, 28), iconAnchor: L.point(14, 14), popupAnchor: L.point(0, -12) });
  }

  function groupOf(d) {
    if (d.k === 'alpr' && d.hot) { return 'hotlist'; }
    return d.k;
  }

  function removeRec(ref) {
    var rec = recs[ref];
    if (!rec) { return; }
    var g = groups[rec.g];
    if (rec.m) { g.removeLayer(rec.m); }
    if (rec.c) { g.removeLayer(rec.c); counts.cones--; }
    counts[rec.g]--;
    delete recs[ref];
  }

  function buildRec(d) {
    var rec = { d: d, g: groupOf(d), t: d.t };
    var open = function () { return popupFor(rec); };
    if (d.k === 'camera') {
      var st = cameraStyles(d);
      if (d.cone && d.cone.length > 2) {
        rec.c = L.polygon(d.cone, st.cone).bindPopup(open, { maxWidth: 360 });
      }
      rec.m = L.circleMarker([d.la, d.lo], st.dot).bindPopup(open, { maxWidth: 360 });
    } else if (rec.g === 'hotlist') {
      rec.m = L.marker([d.la, d.lo], { icon: hotIcon(), zIndexOffset: 1000, keyboard: false }).bindPopup(open, { maxWidth: 360 });
    } else {
      rec.m = L.circleMarker([d.la, d.lo], styleFor(d)).bindPopup(open, { maxWidth: 360 });
    }
    rec.m._rtccRef = d.r;
    return rec;
  }

  function applyDelta(msg, done) {
    var T0 = performance.now();
    var byGroup = {};
    var list = msg.records || [];
    for (var i = 0; i < list.length; i++) {
      var d = list[i];
      if (typeof d.la !== 'number' || typeof d.lo !== 'number' || !d.r) { continue; }
      if (recs[d.r]) { removeRec(d.r); }
      var rec = buildRec(d);
      recs[d.r] = rec;
      counts[rec.g]++;
      (byGroup[rec.g] = byGroup[rec.g] || []).push(rec.m);
      if (rec.c) { byGroup[rec.g].push(rec.c); counts.cones++; }
    }
    var T1 = performance.now();
    var waiting = 1;
    var finish = function () {
      waiting--;
      if (waiting === 0) { setTimeout(function () { var T2 = performance.now(); refreshHeat(); ack(msg.seq); if (RTCC.debugTimes) { console.log('delta ' + list.length + ' build ' + (T1 - T0).toFixed(1) + ' cluster ' + (T2 - T1).toFixed(1) + ' heat+ack ' + (performance.now() - T2).toFixed(1)); } done(); }, 0); }
    };
    Object.keys(byGroup).forEach(function (name) {
      var g = groups[name], arr = byGroup[name];
      if (g.addLayers && map.hasLayer(g)) {
        /* markercluster's chunked loading keeps the page responsive; the callback is captured per call */
        waiting++;
        var finished = false;
        g.options.chunkProgress = function (processed, total) {
          if (processed >= total && !finished) { finished = true; finish(); }
        };
        g.addLayers(arr, true);
        g.options.chunkProgress = null;
      } else if (g.addLayers) {
        g.addLayers(arr, true);
      } else {
        arr.forEach(function (layer) { g.addLayer(layer); });
      }
    });
    finish();
  }

  function prune(msg) {
    var since = msg.since, until = msg.until, drop = {};
    Object.keys(recs).forEach(function (ref) {
      var rec = recs[ref];
      if (rec.t === null || rec.t === undefined) { return; }
      if ((since !== null && rec.t < since) || (until !== null && until !== undefined && rec.t > until)) {
        (drop[rec.g] = drop[rec.g] || []).push(ref);
      }
    });
    Object.keys(drop).forEach(function (g) {
      var layers = [];
      drop[g].forEach(function (ref) {
        var rec = recs[ref];
        layers.push(rec.m);
        counts[g]--;
        delete recs[ref];
      });
      if (groups[g].removeLayers) { groups[g].removeLayers(layers); } else { layers.forEach(function (l) { groups[g].removeLayer(l); }); }
    });
    refreshHeat();
    ack(msg.seq);
  }

  function reset(msg) {
    var keep = {};
    (msg.keep || []).forEach(function (k) { keep[k] = true; });
    Object.keys(groups).forEach(function (g) {
      if (keep[g]) { return; }
      groups[g].clearLayers();
      counts[g] = 0;
    });
    Object.keys(recs).forEach(function (ref) { if (!keep[recs[ref].g]) { delete recs[ref]; } });
    if (!keep.camera) { counts.cones = 0; }
    refreshHeat();
    ack(msg.seq);
  }

  var heatDirty = true;

  function refreshHeat() {
    heatDirty = true;
    if (!heat || !map.hasLayer(heat)) { return; }  /* rebuilt when switched on */
    heatDirty = false;
    var pts = [];
    Object.keys(recs).forEach(function (ref) {
      var d = recs[ref].d;
      if (heatKinds[d.k]) { pts.push([d.la, d.lo, d.w || 1]); }
    });
    heat.setPoints(pts);
  }

  /* ------------------------------------------------------------- selection */
  function select(msg) {
    selLayer.clearLayers();
    if (!msg.ref) { return; }
    var rec = recs[msg.ref];
    var lat = rec ? rec.d.la : msg.lat, lon = rec ? rec.d.lo : msg.lon;
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
    var pts = [];
    (msg.points || []).forEach(function (p) {
      if (typeof p[0] !== 'number' || typeof p[1] !== 'number') { return; }
      pts.push([p[0], p[1]]);
      L.circleMarker([p[0], p[1]], { pane: 'rtccSel', renderer: RTCC._svg, radius: 11, color: '#ffd60a', weight: 2,
                                     dashArray: '3 3', fill: false, interactive: false }).addTo(hlLayer);
    });
    if (msg.centre && typeof msg.centre[0] === 'number') {
      L.circle(msg.centre, { pane: 'rtccSel', renderer: RTCC._svg, radius: msg.radius || 250, color: '#ffd60a',
                             weight: 1, dashArray: '6 6', fillOpacity: 0.04, interactive: false }).addTo(hlLayer);
      pts.push(msg.centre);
    }
    if (msg.fit && pts.length) {
      map.fitBounds(L.latLngBounds(pts).pad(0.3), { maxZoom: 17 });
    }
  }

  function fitAll() {
    var b = L.latLngBounds([]);
    Object.keys(recs).forEach(function (ref) { b.extend([recs[ref].d.la, recs[ref].d.lo]); });
    if (b.isValid()) { map.fitBounds(b.pad(0.05), { maxZoom: 16 }); }
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

  /* Messages are applied one at a time, in order: a chunked delta finishes before the next starts. */
  var queue = [], busy = false;
  function pump() {
    if (busy || !queue.length) { return; }
    /* A bulk load arrives in chunks flagged "more": wait for its last chunk, then apply it all at once. */
    if (queue[0].op === 'delta') {
      var complete = false;
      for (var q = 0; q < queue.length; q++) {
        if (queue[q].op !== 'delta' || !queue[q].more) { complete = true; break; }
      }
      if (!complete) { return; }
    }
    var msg = queue.shift();
    /* Consecutive deltas are applied as one: one cluster update instead of many. */
    while (msg.op === 'delta' && queue.length && queue[0].op === 'delta') {
      var next = queue.shift();
      msg = { op: 'delta', seq: next.seq, more: next.more, records: msg.records.concat(next.records) };
    }
    busy = true;
    var done = function () { busy = false; pump(); };
    try {
      switch (msg.op) {
        case 'delta': applyDelta(msg, done); return;
        case 'prune': prune(msg); break;
        case 'reset': reset(msg); break;
        case 'select': select(msg); break;
        case 'highlight': highlight(msg); break;
        case 'heat': setHeat(!!msg.on); break;
        case 'layers': setLayers(msg); break;
        case 'view': map.setView([msg.lat, msg.lon], msg.zoom); break;
        case 'fit': if (msg.force || !userMoved) { fitAll(); } break;
        case 'retiles': retiles(); break;
        case 'config': if (msg.tz) { setTimeZone(msg.tz); } break;
        default: console.error('rtcc: unknown message ' + msg.op);
      }
    } catch (e) {
      console.error('rtcc: ' + msg.op + ' failed: ' + e);
    }
    done();
  }

  function handle(text) {
    var msg, tp = performance.now();
    try { msg = JSON.parse(text); if (RTCC.debugTimes) { console.log('parse ' + text.length + ' ' + (performance.now() - tp).toFixed(1)); } } catch (e) { console.error('rtcc: bad message from the app: ' + e); return; }
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
    return out;
  };
  /* For tests and the self-test: the popup a record would show, as text. */
  RTCC.popupText = function (ref) {
    var rec = recs[ref];
    return rec ? popupFor(rec).textContent : null;
  };
  /* Open a record's popup on the map itself, whether or not its marker is inside a cluster. */
  function openPopupFor(rec) {
    L.popup({ maxWidth: 360, offset: L.point(0, -4) }).setLatLng([rec.d.la, rec.d.lo]).setContent(popupFor(rec)).openOn(map);
  }
  RTCC.openPopup = function (ref) {
    var rec = recs[ref];
    if (!rec) { return false; }
    openPopupFor(rec);
    return true;
  };
  /* Read-only view of the records on the page (tests and the screenshot script). */
  RTCC._recs = function () { return recs; };
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
    var lat = e.latlng.lat, lon = e.latlng.lng;
    var root = el('div', 'rtcc-popup rtcc-ctx');
    root.appendChild(el('div', 'rtcc-popup-kind', lat.toFixed(5) + ', ' + lon.toFixed(5)));
    var actions = el('div', 'rtcc-popup-actions rtcc-ctx-actions');
    [['Cameras near here', 'camerasNear'], ['Search around here', 'searchAround']].forEach(function (a) {
      var b = el('button', 'rtcc-btn', a[0]);
      b.type = 'button';
      L.DomEvent.on(b, 'click', function (ev) { L.DomEvent.stop(ev); map.closePopup(ctxPopup); call(a[1], lat, lon); });
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
                  ['#3fa7ff', 'Camera (public)'], ['#c77dff', 'Camera (private)']];
      rows.forEach(function (r) {
        var row = el('div', 'rtcc-legend-row');
        var sw = el('span', 'rtcc-swatch' + (r[0] === 'hot' ? ' rtcc-swatch-hot' : ''));
        if (r[0] !== 'hot') { sw.style.background = r[0]; }
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
    map.createPane('rtccSel');
    map.getPane('rtccSel').style.zIndex = 640;
    RTCC._svg = L.svg({ pane: 'rtccSel' });
    groups.camera = L.featureGroup();
    groups.cad = makeCluster('cad', 50);
    groups.gunshot = makeCluster('gunshot', 40);
    groups.alpr = makeCluster('alpr', 60);
    groups.hotlist = L.featureGroup();
    ['camera', 'cad', 'gunshot', 'alpr', 'hotlist'].forEach(function (g) { map.addLayer(groups[g]); });
    selLayer = L.layerGroup().addTo(map);
    hlLayer = L.layerGroup().addTo(map);
    heat = L.rtccHeat([], { radius: 20, blur: 16 });
    var overlays = {
      'CAD incidents': groups.cad, 'Gunshots': groups.gunshot, 'ALPR reads': groups.alpr,
      'Hot-list hits': groups.hotlist, 'Cameras': groups.camera, 'Heat map': heat
    };
    L.control.layers(null, overlays, { collapsed: false, position: 'topright' }).addTo(map);
    legend().addTo(map);
    L.control.scale({ imperial: !!cfg.imperial }).addTo(map);
    var names = { 'CAD incidents': 'cad', 'Gunshots': 'gunshot', 'ALPR reads': 'alpr', 'Hot-list hits': 'hotlist',
                  'Cameras': 'camera', 'Heat map': 'heat' };
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
