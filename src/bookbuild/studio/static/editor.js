// The region editor: draw a region (rect, ellipse, polygon, brush) or drag the canvas edges
// (outpaint), see the mask over the picture, read the forecast, apply into book.yaml.
"use strict";

const ed = {
  shape: null, // {rect|ellipse: [x0,y0,x1,y1]} or {polygon: [[x,y],...]} in fractions
  polygon: [],
  brushUsed: false,
  drag: null,
  margins: { left: 0, right: 0, up: 0, down: 0 },
};

const $ = (id) => document.getElementById(id);
const tool = () => document.querySelector('input[name="tool"]:checked').value;
const op = () => document.querySelector('input[name="op"]:checked').value;
const feather = () => Number($("feather").value);
const round4 = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
const SNAP = 8;

function fractionOf(event) {
  const box = $("draw").getBoundingClientRect();
  return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
}

function setup() {
  const picture = $("picture");
  const size = [picture.naturalWidth, picture.naturalHeight];
  for (const canvas of [$("draw"), $("overlay")]) [canvas.width, canvas.height] = size;
  ed.brush = document.createElement("canvas");
  [ed.brush.width, ed.brush.height] = size;
  const draw = $("draw");
  draw.addEventListener("pointerdown", down);
  draw.addEventListener("pointermove", move);
  draw.addEventListener("pointerup", up);
  draw.addEventListener("dblclick", closePolygon);
  for (const id of ["feather", "invert", "prompt", "strength", "brush-size"]) $(id).addEventListener("input", changed);
  const written = $("editor").dataset.mask;
  if (written) ed.shape = JSON.parse(written); // the edit's region, shown until one is drawn
  document.querySelectorAll('input[name="op"], input[name="tool"]').forEach((r) => r.addEventListener("change", changed));
  $("clear").addEventListener("click", clear);
  $("apply").addEventListener("click", apply);
  changed();
}

function down(event) {
  $("draw").setPointerCapture(event.pointerId);
  ed.drawn = true;
  const [x, y] = fractionOf(event);
  if (op() === "outpaint") {
    ed.drag = { kind: "edge", edge: nearestEdge(x, y), start: [x, y], before: { ...ed.margins } };
    return;
  }
  if (tool() === "polygon") return addPolygonPoint(x, y);
  if (tool() === "brush") {
    ed.drag = { kind: "brush", last: [x, y] };
    stroke([x, y], [x, y]);
    return;
  }
  clearBrush(); // one region per edit: a new shape replaces the strokes
  ed.drag = { kind: "box", start: [x, y] };
  ed.shape = { [tool()]: [x, y, x, y] };
}

function move(event) {
  if (!ed.drag) return;
  const [x, y] = fractionOf(event);
  if (ed.drag.kind === "edge") return dragEdge(x, y);
  if (ed.drag.kind === "brush") {
    stroke(ed.drag.last, [x, y]);
    ed.drag.last = [x, y];
  } else {
    const [x0, y0] = ed.drag.start;
    ed.shape = { [tool()]: [Math.min(x0, x), Math.min(y0, y), Math.max(x0, x), Math.max(y0, y)].map(round4) };
  }
  render();
}

function up() {
  if (ed.drag) {
    ed.drag = null;
    changed();
  }
}

function nearestEdge(x, y) {
  const distances = { left: x, right: 1 - x, up: y, down: 1 - y };
  return Object.keys(distances).reduce((a, b) => (distances[a] <= distances[b] ? a : b));
}

function dragEdge(x, y) {
  const { edge, start, before } = ed.drag;
  const size = [$("draw").width, $("draw").height];
  const outward = { left: start[0] - x, right: x - start[0], up: start[1] - y, down: y - start[1] }[edge];
  const pixels = outward * (edge === "left" || edge === "right" ? size[0] : size[1]);
  ed.margins[edge] = Math.min(2048, Math.max(0, Math.round((before[edge] + pixels) / SNAP) * SNAP));
  render();
}

function addPolygonPoint(x, y) {
  const last = ed.polygon[ed.polygon.length - 1];
  if (last && Math.hypot(last[0] - x, last[1] - y) < 0.004) return; // a double-click's 2nd click
  const first = ed.polygon[0];
  if (first && ed.polygon.length >= 3 && Math.hypot(first[0] - x, first[1] - y) < 0.02) {
    return closePolygon();
  }
  ed.polygon.push([round4(x), round4(y)]);
  ed.shape = null;
  clearBrush();
  render();
}

function closePolygon() {
  if (ed.polygon.length >= 3) ed.shape = { polygon: ed.polygon.slice() };
  ed.polygon = [];
  changed();
}

function stroke(from, to) {
  const ctx = ed.brush.getContext("2d");
  ctx.strokeStyle = "#fff";
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = Number($("brush-size").value);
  ctx.beginPath();
  ctx.moveTo(from[0] * ed.brush.width, from[1] * ed.brush.height);
  ctx.lineTo(to[0] * ed.brush.width, to[1] * ed.brush.height);
  ctx.stroke();
  ed.brushUsed = true;
  ed.shape = null;
}

function clearBrush() {
  ed.brushUsed = false;
  ed.brush.getContext("2d").clearRect(0, 0, ed.brush.width, ed.brush.height);
}

function clear() {
  ed.shape = null;
  ed.polygon = [];
  clearBrush();
  ed.margins = { left: 0, right: 0, up: 0, down: 0 };
  changed();
}

function tracePath(ctx, shape, w, h) {
  ctx.beginPath();
  if (shape.rect) {
    const [x0, y0, x1, y1] = shape.rect;
    ctx.rect(x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h);
  } else if (shape.ellipse) {
    const [x0, y0, x1, y1] = shape.ellipse;
    ctx.ellipse(((x0 + x1) / 2) * w, ((y0 + y1) / 2) * h, ((x1 - x0) / 2) * w, ((y1 - y0) / 2) * h, 0, 0, 2 * Math.PI);
  } else {
    const points = shape.polygon;
    points.forEach(([x, y], i) => (i ? ctx.lineTo(x * w, y * h) : ctx.moveTo(x * w, y * h)));
    ctx.closePath();
  }
}

// The mask as the model will see it, tinted red over the picture.
function render() {
  const overlay = $("overlay");
  const [w, h] = [overlay.width, overlay.height];
  const ctx = overlay.getContext("2d");
  ctx.clearRect(0, 0, w, h);
  const mask = document.createElement("canvas");
  [mask.width, mask.height] = [w, h];
  const m = mask.getContext("2d");
  m.filter = feather() > 0 ? `blur(${feather() * Math.min(w, h)}px)` : "none";
  m.fillStyle = "rgba(230, 30, 60, 0.55)";
  if (op() === "inpaint") {
    if (ed.shape) { tracePath(m, ed.shape, w, h); m.fill(); }
    if (ed.brushUsed) { m.globalCompositeOperation = "source-over"; drawTinted(m, w, h); }
  }
  if ($("invert").checked && op() === "inpaint" && (ed.shape || ed.brushUsed)) {
    ctx.fillStyle = "rgba(230, 30, 60, 0.55)";
    ctx.fillRect(0, 0, w, h);
    ctx.globalCompositeOperation = "destination-out";
    ctx.drawImage(mask, 0, 0);
    ctx.globalCompositeOperation = "source-over";
  } else {
    ctx.drawImage(mask, 0, 0);
  }
  outline(w, h);
  showMargins();
}

function drawTinted(m, w, h) {
  const tinted = document.createElement("canvas");
  [tinted.width, tinted.height] = [w, h];
  const t = tinted.getContext("2d");
  t.drawImage(ed.brush, 0, 0);
  t.globalCompositeOperation = "source-in";
  t.fillStyle = "rgba(230, 30, 60, 0.55)";
  t.fillRect(0, 0, w, h);
  m.drawImage(tinted, 0, 0);
}

function outline(w, h) {
  const ctx = $("draw").getContext("2d");
  ctx.clearRect(0, 0, w, h);
  ctx.setLineDash([8, 6]);
  ctx.lineWidth = Math.max(2, w / 300);
  ctx.strokeStyle = "#fff";
  if (ed.shape && op() === "inpaint") { tracePath(ctx, ed.shape, w, h); ctx.stroke(); }
  if (ed.polygon.length) {
    ctx.beginPath();
    ed.polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x * w, y * h) : ctx.moveTo(x * w, y * h)));
    ctx.stroke();
  }
}

function showMargins() {
  const frame = $("frame");
  const { left, right, up, down } = ed.margins;
  const grown = op() === "outpaint" && left + right + up + down > 0;
  frame.style.display = grown ? "block" : "none";
  const scale = $("draw").getBoundingClientRect().width / $("draw").width;
  frame.style.left = `${-left * scale}px`;
  frame.style.top = `${-up * scale}px`;
  frame.style.right = `${-right * scale}px`;
  frame.style.bottom = `${-down * scale}px`;
  $("margins").textContent = op() === "outpaint"
    ? `new canvas: +${left}px left, +${right}px right, +${up}px up, +${down}px down`
    : "";
}

function brushPng() {
  const out = document.createElement("canvas");
  [out.width, out.height] = [ed.brush.width, ed.brush.height];
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(ed.brush, 0, 0);
  return out.toDataURL("image/png");
}

const changing = () => $("editor").dataset.change !== "";

function changeBody() {
  const editor = $("editor");
  const seed = $("seed").value.trim();
  const edit = {
    prompt: $("prompt").value, strength: Number($("strength").value),
    negative_prompt: $("negative").value.trim() || null, seed: seed === "" ? null : Number(seed),
    model: $("model").value.trim() || null, feather: feather(), invert: $("invert").checked,
  };
  if (ed.drawn && ed.brushUsed && !ed.shape) edit.brush = brushPng();
  else if (ed.drawn && ed.shape) edit.shape = ed.shape;
  return { ill: editor.dataset.ill, index: Number(editor.dataset.change), edit };
}

function requestBody() {
  const editor = $("editor");
  const edit = { op: op(), prompt: $("prompt").value, feather: feather(), invert: $("invert").checked, strength: Number($("strength").value), ...ed.margins };
  if (ed.brushUsed && !ed.shape) edit.brush = brushPng();
  else if (ed.shape) edit.shape = ed.shape;
  return { ill: editor.dataset.ill, at: editor.dataset.at === "" ? null : Number(editor.dataset.at), edit };
}

function ready() {
  if (changing()) return true;
  if (op() === "outpaint") return Object.values(ed.margins).some((v) => v > 0);
  return Boolean(ed.shape || ed.brushUsed);
}

let forecastTimer = null;
function changed() {
  document.querySelectorAll("output.value").forEach((out) => {
    const input = $(out.htmlFor.value);
    out.textContent = input.id === "brush-size" ? `${input.value} px` : input.value;
  });
  render();
  clearTimeout(forecastTimer);
  forecastTimer = setTimeout(forecast, 250);
}

async function forecast() {
  const box = $("forecast");
  if (changing()) {
    box.textContent = "Changing the edit re-runs it and every edit after it (asked first when it would pay)";
    return;
  }
  if (!ready()) {
    box.textContent = op() === "outpaint" ? "drag an edge of the picture outwards" : "draw a region on the picture";
    return;
  }
  if (op() === "inpaint" && !$("prompt").value.trim()) {
    box.textContent = "say what the region should show";
    return;
  }
  const answer = await studio.send("/api/forecast", requestBody());
  if (answer.status !== 200) {
    box.textContent = answer.data.error;
    return;
  }
  const f = answer.data.forecast;
  box.textContent = f.paid
    ? `Apply makes ${f.calls} model call(s), about $${f.cost_usd.toFixed(4)}`
    : `Apply makes ${f.calls} call(s): free${document.querySelector(".draft") ? " (draft)" : ""}`;
}

async function apply() {
  if (!ready()) return forecast();
  $("apply").disabled = true;
  $("apply-state").textContent = "writing book.yaml…";
  const answer = changing()
    ? await studio.post("/api/edit/change", changeBody())
    : await studio.post("/api/edit", requestBody());
  $("apply").disabled = false;
  if (!answer.ok) {
    $("apply-state").textContent = answer.cancelled ? "not applied" : "";
    return;
  }
  $("apply-state").textContent = `${answer.reason}; building…`;
  document.body.dataset.applied = "yes";
  studio.onBuilt(() => {
    window.location.href = `/board#${$("editor").dataset.anchor}`;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const picture = $("picture");
  if (!picture) return;
  if (picture.complete && picture.naturalWidth) setup();
  else picture.addEventListener("load", setup);
});
