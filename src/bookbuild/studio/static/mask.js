// The region editor's mask: its regions (shapes and strokes, added or cut out) drawn on a
// canvas, as the page shows it and as the painted PNG it sends (white = repaint). Used by
// editor.js (loaded after it).
"use strict";

function tracePath(ctx, shape, w, h) {
  ctx.beginPath();
  if (shape.rect) {
    const [x0, y0, x1, y1] = shape.rect;
    ctx.rect(x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h);
  } else if (shape.ellipse) {
    const [x0, y0, x1, y1] = shape.ellipse;
    ctx.ellipse(((x0 + x1) / 2) * w, ((y0 + y1) / 2) * h, ((x1 - x0) / 2) * w, ((y1 - y0) / 2) * h, 0, 0, 2 * Math.PI);
  } else {
    shape.polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x * w, y * h) : ctx.moveTo(x * w, y * h)));
    ctx.closePath();
  }
}

function paintRegion(ctx, region, w, h) {
  ctx.globalCompositeOperation = region.mode === "subtract" ? "destination-out" : "source-over";
  ctx.fillStyle = ctx.strokeStyle = "#fff";
  if (region.shape) {
    tracePath(ctx, region.shape, w, h);
    ctx.fill();
    return;
  }
  const { size, points } = region.stroke;
  ctx.lineWidth = size;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x * w, y * h) : ctx.moveTo(x * w, y * h)));
  if (points.length === 1) ctx.lineTo(points[0][0] * w + 0.01, points[0][1] * h);
  ctx.stroke();
}

// The regions as a mask canvas: white = repaint, transparent = keep (before feather/padding).
function maskCanvas() {
  const [w, h] = [$("draw").width, $("draw").height];
  const mask = document.createElement("canvas");
  [mask.width, mask.height] = [w, h];
  const ctx = mask.getContext("2d");
  const shown = ed.regions.length || !ed.written ? ed.regions : [{ mode: "add", shape: ed.written }];
  for (const region of shown) paintRegion(ctx, region, w, h);
  if (ed.pending) paintRegion(ctx, { mode: mode(), shape: ed.pending }, w, h);
  return mask;
}

function maskPng() {
  const mask = maskCanvas();
  const out = document.createElement("canvas");
  [out.width, out.height] = [mask.width, mask.height];
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(mask, 0, 0);
  return out.toDataURL("image/png");
}

