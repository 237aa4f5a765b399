/* RTCC heat layer: a small canvas heat map for Leaflet, written for RTCC Desktop.
 *
 * Points are projected once when they are set (Web Mercator, as Leaflet's
 * EPSG:3857) and binned into screen cells with plain arithmetic and typed
 * arrays. Each cell stamps a blurred brush into an alpha buffer (the same
 * "source over" sum a canvas would do, but in a Float32Array: no draw calls, no
 * read-back), and the alpha is coloured through a palette into the canvas. The
 * canvas has half the screen's resolution and is stretched to cover it: a heat
 * map is all blur. 50,000 points redraw in a few milliseconds. Redrawn on
 * move/zoom end; hidden during zoom animation.
 */
(function () {
  'use strict';

  var MAX_LAT = 85.0511287798, D2R = Math.PI / 180;

  /* The brush (a blurred disc) as alpha values 0..1, drawn once with the canvas's own shadow blur. */
  function makeBrush(radius, blur) {
    var r2 = radius + blur;
    var c = document.createElement('canvas');
    c.width = c.height = Math.ceil(r2 * 2);
    var ctx = c.getContext('2d');
    ctx.shadowOffsetX = ctx.shadowOffsetY = c.width;
    ctx.shadowBlur = blur;
    ctx.shadowColor = 'black';
    ctx.beginPath();
    ctx.arc(r2 - c.width, r2 - c.width, radius, 0, Math.PI * 2, true);
    ctx.closePath();
    ctx.fill();
    var data = ctx.getImageData(0, 0, c.width, c.height).data, alpha = new Float32Array(c.width * c.height);
    for (var i = 0; i < alpha.length; i++) { alpha[i] = data[i * 4 + 3] / 255; }
    return { size: c.width, alpha: alpha };
  }

  function makePalette(stops) {
    var c = document.createElement('canvas');
    c.width = 1; c.height = 256;
    var ctx = c.getContext('2d');
    var g = ctx.createLinearGradient(0, 0, 0, 256);
    Object.keys(stops).forEach(function (k) { g.addColorStop(+k, stops[k]); });
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 1, 256);
    return ctx.getImageData(0, 0, 1, 256).data;
  }

  L.RtccHeat = L.Layer.extend({
    options: {
      radius: 18, blur: 14, minOpacity: 0.08, maxWeight: null,
      /* canvas pixels per screen pixel */
      resolution: 0.5,
      gradient: { 0.3: '#2b83ba', 0.5: '#abdda4', 0.7: '#ffffbf', 0.85: '#fdae61', 1.0: '#d7191c' }
    },

    initialize: function (points, options) {
      L.setOptions(this, options);
      var q = this.options.resolution;
      this._xyw = new Float64Array(0);
      this._brush = makeBrush(this.options.radius * q, this.options.blur * q);
      this._palette = makePalette(this.options.gradient);
      this._frame = null;
      if (points && points.length) { this.setPoints(points); }
    },

    /* [[lat, lon, weight?], ...] */
    setPoints: function (points) {
      var xyw = new Float64Array(points.length * 3), i, p, s;
      for (i = 0; i < points.length; i++) {
        p = points[i];
        s = Math.sin(Math.max(Math.min(MAX_LAT, p[0]), -MAX_LAT) * D2R);
        xyw[i * 3] = p[1] / 360 + 0.5;
        xyw[i * 3 + 1] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
        xyw[i * 3 + 2] = p[2] === undefined ? 1 : p[2];
      }
      return this.setProjected(xyw);
    },
    /* Already projected: x, y in [0, 1) (Web Mercator) and a weight, three numbers a point. */
    setProjected: function (xyw) { this._xyw = xyw; return this.redraw(); },
    count: function () { return this._xyw.length / 3; },

    redraw: function () {
      if (this._map && !this._frame) {
        this._frame = L.Util.requestAnimFrame(this._draw, this);
      }
      return this;
    },

    onAdd: function (map) {
      this._map = map;
      this._canvas = L.DomUtil.create('canvas', 'rtcc-heat leaflet-layer leaflet-zoom-hide');
      this._canvas.style.pointerEvents = 'none';
      map.getPanes().overlayPane.appendChild(this._canvas);
      map.on('moveend resize', this.redraw, this);
      this._reset();
    },

    onRemove: function (map) {
      map.getPanes().overlayPane.removeChild(this._canvas);
      map.off('moveend resize', this.redraw, this);
      if (this._frame) { L.Util.cancelAnimFrame(this._frame); this._frame = null; }
      this._map = null;
    },

    _reset: function () {
      this._fit(this._map.getSize());
      this.redraw();
    },

    _fit: function (size) {
      var q = this.options.resolution, w = Math.ceil(size.x * q), h = Math.ceil(size.y * q);
      if (this._canvas.width !== w || this._canvas.height !== h) {
        this._canvas.width = w; this._canvas.height = h;
      }
      this._canvas.style.width = size.x + 'px';
      this._canvas.style.height = size.y + 'px';
    },

    _draw: function () {
      this._frame = null;
      var map = this._map;
      if (!map) { return; }
      var size = map.getSize(), q = this.options.resolution;
      this._fit(size);
      L.DomUtil.setPosition(this._canvas, map.containerPointToLayerPoint([0, 0]));
      var W = this._canvas.width, H = this._canvas.height;
      var ctx = this._canvas.getContext('2d');
      ctx.clearRect(0, 0, W, H);
      var xyw = this._xyw, n = xyw.length / 3;
      if (!n || !W || !H) { return; }

      var r = (this.options.radius + this.options.blur) * q;
      var cell = Math.max(2, Math.floor(this.options.radius / 2));
      /* Screen cells over the view and a quarter of it around (points there still count towards the maximum). */
      var padX = size.x * 0.25, padY = size.y * 0.25;
      var rows = Math.ceil((size.y + 2 * padY) / cell) + 1, cells = (Math.ceil((size.x + 2 * padX) / cell) + 1) * rows;
      var S = map.options.crs.scale(map.getZoom()), org = map.getPixelOrigin(), pane = map._getMapPanePos();
      var offX = pane.x - org.x, offY = pane.y - org.y;
      var cw = new Float64Array(cells), cx = new Float64Array(cells), cy = new Float64Array(cells), seen = new Uint8Array(cells);
      var used = [], maxW = 0, i, x, y, k, c;
      for (i = 0; i < n; i++) {
        x = xyw[i * 3] * S + offX;
        if (x < -padX || x >= size.x + padX) { continue; }
        y = xyw[i * 3 + 1] * S + offY;
        if (y < -padY || y >= size.y + padY) { continue; }
        k = Math.floor((x + padX) / cell) * rows + Math.floor((y + padY) / cell);
        if (!seen[k]) { seen[k] = 1; cx[k] = x; cy[k] = y; used.push(k); }
        cw[k] += xyw[i * 3 + 2];
        if (cw[k] > maxW) { maxW = cw[k]; }
      }
      var max = this.options.maxWeight || Math.max(1, maxW * 0.6);
      var A = new Float32Array(W * H), B = this._brush.alpha, bs = this._brush.size, minO = this.options.minOpacity;
      var a, x0, y0, bx0, bx1, by0, by1, bx, by, row, brow, v;
      for (i = 0; i < used.length; i++) {
        c = used[i];
        x0 = Math.round(cx[c] * q - r); y0 = Math.round(cy[c] * q - r);
        bx0 = Math.max(0, -x0); bx1 = Math.min(bs, W - x0); by0 = Math.max(0, -y0); by1 = Math.min(bs, H - y0);
        if (bx0 >= bx1 || by0 >= by1) { continue; }  /* counted above, but off the canvas */
        a = Math.min(1, Math.max(cw[c] / max, minO));
        for (by = by0; by < by1; by++) {
          row = (y0 + by) * W + x0;
          brow = by * bs;
          for (bx = bx0; bx < bx1; bx++) {
            v = a * B[brow + bx];
            if (v > 0) { A[row + bx] += v * (1 - A[row + bx]); }
          }
        }
      }
      var img = ctx.createImageData(W, H), px = img.data, pal = this._palette, j;
      for (i = 0; i < A.length; i++) {
        a = Math.round(A[i] * 255);
        if (a) { j = a * 4; k = i * 4; px[k] = pal[j]; px[k + 1] = pal[j + 1]; px[k + 2] = pal[j + 2]; px[k + 3] = Math.min(255, a * 1.2); }
      }
      ctx.putImageData(img, 0, 0);
    }
  });

  L.rtccHeat = function (points, options) { return new L.RtccHeat(points, options); };
}());
