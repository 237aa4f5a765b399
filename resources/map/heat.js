/* RTCC heat layer: a small canvas heat map for Leaflet, written for RTCC Desktop.
 *
 * Points are binned into screen cells (so 50,000 points cost little), each
 * cell stamps a blurred brush onto an alpha canvas, and the alpha is coloured
 * through a palette. Redrawn on move/zoom end; hidden during zoom animation.
 */
(function () {
  'use strict';

  function makeBrush(radius, blur) {
    var r2 = radius + blur;
    var c = document.createElement('canvas');
    c.width = c.height = r2 * 2;
    var ctx = c.getContext('2d');
    ctx.shadowOffsetX = ctx.shadowOffsetY = r2 * 2;
    ctx.shadowBlur = blur;
    ctx.shadowColor = 'black';
    ctx.beginPath();
    ctx.arc(-r2, -r2, radius, 0, Math.PI * 2, true);
    ctx.closePath();
    ctx.fill();
    return c;
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
      gradient: { 0.3: '#2b83ba', 0.5: '#abdda4', 0.7: '#ffffbf', 0.85: '#fdae61', 1.0: '#d7191c' }
    },

    initialize: function (points, options) {
      L.setOptions(this, options);
      this._points = points || [];
      this._brush = makeBrush(this.options.radius, this.options.blur);
      this._palette = makePalette(this.options.gradient);
      this._frame = null;
    },

    setPoints: function (points) { this._points = points; return this.redraw(); },
    count: function () { return this._points.length; },

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
      var size = this._map.getSize();
      this._canvas.width = size.x;
      this._canvas.height = size.y;
      this.redraw();
    },

    _draw: function () {
      this._frame = null;
      var map = this._map;
      if (!map) { return; }
      var size = map.getSize();
      if (this._canvas.width !== size.x || this._canvas.height !== size.y) {
        this._canvas.width = size.x; this._canvas.height = size.y;
      }
      L.DomUtil.setPosition(this._canvas, map.containerPointToLayerPoint([0, 0]));
      var ctx = this._canvas.getContext('2d');
      ctx.clearRect(0, 0, size.x, size.y);
      if (!this._points.length || !size.x || !size.y) { return; }

      var r = this.options.radius + this.options.blur;
      var cell = Math.max(2, Math.floor(this.options.radius / 2));
      var bounds = map.getBounds().pad(0.25);
      var grid = {}, cells = [], maxW = 0, i, p, cp, key, c;
      for (i = 0; i < this._points.length; i++) {
        p = this._points[i];
        if (!bounds.contains([p[0], p[1]])) { continue; }
        cp = map.latLngToContainerPoint([p[0], p[1]]);
        key = Math.floor(cp.x / cell) + ':' + Math.floor(cp.y / cell);
        c = grid[key];
        if (!c) { c = grid[key] = [cp.x, cp.y, 0]; cells.push(c); }
        c[2] += (p[2] === undefined ? 1 : p[2]);
        if (c[2] > maxW) { maxW = c[2]; }
      }
      var max = this.options.maxWeight || Math.max(1, maxW * 0.6);
      for (i = 0; i < cells.length; i++) {
        c = cells[i];
        ctx.globalAlpha = Math.min(1, Math.max(c[2] / max, this.options.minOpacity));
        ctx.drawImage(this._brush, c[0] - r, c[1] - r);
      }
      ctx.globalAlpha = 1;
      var img = ctx.getImageData(0, 0, size.x, size.y), px = img.data, pal = this._palette, j, a;
      for (i = 0; i < px.length; i += 4) {
        a = px[i + 3];
        if (a) { j = a * 4; px[i] = pal[j]; px[i + 1] = pal[j + 1]; px[i + 2] = pal[j + 2]; px[i + 3] = Math.min(255, a * 1.2); }
      }
      ctx.putImageData(img, 0, 0);
    }
  });

  L.rtccHeat = function (points, options) { return new L.RtccHeat(points, options); };
}());
