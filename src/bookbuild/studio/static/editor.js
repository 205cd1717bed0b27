// The region editor: draw regions (rectangle, ellipse, polygon, brush; add or subtract; an
// eraser), undo/redo, see the mask over the picture, or drag the canvas edges (outpaint); read
// the forecast and apply into book.yaml. One added shape is written as fractions; several
// regions, subtractions, strokes or a padding are written as a painted PNG under masks/.
"use strict";

const ed = {
  regions: [], // {mode: "add"|"subtract", shape} or {mode, stroke: {size, points}}
  redo: [],
  pending: null, // the shape being dragged (fractions)
  polygon: [],
  drag: null,
  drawn: false,
  written: null, // the changed edit's region, shown until a new one is drawn
  zoom: 1,
  keyboard: null, // a selection being made with the arrow keys
  margins: { left: 0, right: 0, up: 0, down: 0 },
};

const $ = (id) => document.getElementById(id);
const tool = () => document.querySelector('input[name="tool"]:checked').value;
const op = () => document.querySelector('input[name="op"]:checked').value;
const mode = () => (tool() === "eraser" ? "subtract" : document.querySelector('input[name="mode"]:checked').value);
const feather = () => Number($("feather").value);
const grow = () => Number($("grow").value);
const brushSize = () => Number($("brush-size").value);
const round4 = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
const changing = () => $("editor").dataset.change !== "";
const SNAP = 8;
const KEY_STEP = 0.01;

function fractionOf(event) {
  const box = $("draw").getBoundingClientRect();
  return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
}

function setup() {
  const picture = $("picture");
  const size = [picture.naturalWidth, picture.naturalHeight];
  for (const canvas of [$("draw"), $("overlay")]) [canvas.width, canvas.height] = size;
  const draw = $("draw");
  draw.addEventListener("pointerdown", down);
  draw.addEventListener("pointermove", move);
  draw.addEventListener("pointerup", up);
  draw.addEventListener("pointerleave", () => { $("cursor").hidden = true; });
  draw.addEventListener("dblclick", closePolygon);
  draw.addEventListener("mousedown", (event) => { if (event.button === 1) event.preventDefault(); }); // no autoscroll
  $("stage").addEventListener("keydown", keyboard);
  for (const id of ["feather", "grow", "invert", "prompt", "strength", "brush-size"]) $(id)?.addEventListener("input", changed);
  document.querySelectorAll('input[name="op"], input[name="tool"], input[name="mode"]').forEach((r) => r.addEventListener("change", changed));
  $("clear").addEventListener("click", clear);
  $("undo").addEventListener("click", undo);
  $("redo").addEventListener("click", redo);
  $("zoom-in").addEventListener("click", () => setZoom(ed.zoom * 1.25));
  $("zoom-out").addEventListener("click", () => setZoom(ed.zoom / 1.25));
  $("zoom-fit").addEventListener("click", () => setZoom(1));
  document.querySelector(".stage-box").addEventListener("wheel", wheel, { passive: false });
  document.addEventListener("keydown", shortcut);
  document.addEventListener("keyup", (event) => {
    if (event.key === " ") $("stage").classList.remove("panning");
  });
  $("apply").addEventListener("click", apply);
  const written = $("editor").dataset.mask;
  if (written) ed.written = JSON.parse(written);
  if (changing() && $("editor").dataset.op === "outpaint") ed.margins = JSON.parse($("editor").dataset.margins);
  changed();
}

function setZoom(zoom) {
  const picture = $("picture");
  const box = document.querySelector(".stage-box");
  if (ed.zoom === 1) {
    ed.fit = $("stage").getBoundingClientRect().width / picture.naturalWidth;
    box.style.height = `${box.getBoundingClientRect().height}px`; // a window onto the picture
  }
  ed.zoom = Math.min(8, Math.max(1, zoom));
  if (ed.zoom === 1) box.style.height = "";
  $("stage").style.width = ed.zoom === 1 ? "" : `${picture.naturalWidth * ed.zoom * ed.fit}px`;
  $("stage").classList.toggle("zoomed", ed.zoom !== 1);
  $("zoom-value").textContent = `${Math.round(ed.zoom * 100)}%`;
  render();
}

// Ctrl+wheel (or Shift+wheel, as in A1111's canvas zoom) zooms at the pointer: the point of
// the picture under it stays under it.
function wheel(event) {
  if (!(event.ctrlKey || event.shiftKey || event.metaKey)) return;
  event.preventDefault();
  zoomAt(event.deltaY < 0 ? ed.zoom * 1.25 : ed.zoom / 1.25, event.clientX, event.clientY);
}

function zoomAt(zoom, clientX, clientY) {
  const before = $("draw").getBoundingClientRect();
  const [fx, fy] = [(clientX - before.left) / before.width, (clientY - before.top) / before.height];
  setZoom(zoom);
  const after = $("draw").getBoundingClientRect();
  const box = document.querySelector(".stage-box");
  box.scrollLeft += after.left + fx * after.width - clientX;
  box.scrollTop += after.top + fy * after.height - clientY;
}

// Undo/redo (Ctrl+Z, Ctrl+Shift+Z), the brush size ([ and ]), Space held to pan by dragging.
function shortcut(event) {
  if (event.target.matches("textarea, input[type=text], input[type=number]")) return;
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
    event.preventDefault();
    if (event.shiftKey) redo(); else undo();
  } else if (event.key === "[" || event.key === "]") {
    const size = $("brush-size");
    size.value = String(brushSize() + (event.key === "]" ? 4 : -4));
    changed();
  } else if (event.key === " " && event.target.matches("#stage, body")) {
    event.preventDefault();
    $("stage").classList.add("panning");
  }
}

// Dragging with the middle button, or with Space held, scrolls the zoomed picture.
function startPan(event) {
  const box = document.querySelector(".stage-box");
  ed.drag = { kind: "pan", start: [event.clientX, event.clientY], scroll: [box.scrollLeft, box.scrollTop] };
}

function pan(event) {
  const box = document.querySelector(".stage-box");
  box.scrollLeft = ed.drag.scroll[0] - (event.clientX - ed.drag.start[0]);
  box.scrollTop = ed.drag.scroll[1] - (event.clientY - ed.drag.start[1]);
}

function push(region) {
  ed.regions.push(region);
  ed.redo = [];
  ed.drawn = true;
}

function down(event) {
  $("draw").setPointerCapture(event.pointerId);
  if (event.button === 1 || $("stage").classList.contains("panning")) {
    event.preventDefault();
    return startPan(event);
  }
  const [x, y] = fractionOf(event);
  if (op() === "outpaint") {
    ed.drag = { kind: "edge", edge: nearestEdge(x, y), start: [x, y], before: { ...ed.margins } };
    return;
  }
  if (tool() === "polygon") return addPolygonPoint(x, y);
  if (tool() === "brush" || tool() === "eraser") {
    const region = { mode: mode(), stroke: { size: brushSize(), points: [[x, y]] } };
    push(region);
    ed.drag = { kind: "brush", region };
    render();
    return;
  }
  ed.drag = { kind: "box", start: [x, y] };
  ed.pending = { [tool()]: [x, y, x, y] };
}

function move(event) {
  showCursor(event);
  if (!ed.drag) return;
  if (ed.drag.kind === "pan") return pan(event);
  const [x, y] = fractionOf(event);
  if (ed.drag.kind === "edge") return dragEdge(x, y);
  if (ed.drag.kind === "brush") ed.drag.region.stroke.points.push([x, y]);
  else {
    const [x0, y0] = ed.drag.start;
    ed.pending = { [tool()]: [Math.min(x0, x), Math.min(y0, y), Math.max(x0, x), Math.max(y0, y)].map(round4) };
  }
  render();
}

function up() {
  if (!ed.drag) return;
  if (ed.drag.kind === "box" && ed.pending) {
    const [x0, y0, x1, y1] = Object.values(ed.pending)[0];
    if (x1 > x0 && y1 > y0) push({ mode: mode(), shape: ed.pending });
    ed.pending = null;
  }
  ed.drag = null;
  changed();
}

// The brush's real size: a circle of the brush's diameter at the picture's displayed scale.
function showCursor(event) {
  const cursor = $("cursor");
  const panning = $("stage").classList.contains("panning") || ed.drag?.kind === "pan";
  const brushing = !panning && op() === "inpaint" && (tool() === "brush" || tool() === "eraser");
  cursor.hidden = !brushing;
  if (!brushing) return;
  const draw = $("draw").getBoundingClientRect();
  const stage = $("stage").getBoundingClientRect();
  const diameter = brushSize() * (draw.width / $("draw").width);
  cursor.style.width = cursor.style.height = `${diameter}px`;
  cursor.style.left = `${event.clientX - stage.left - diameter / 2}px`;
  cursor.style.top = `${event.clientY - stage.top - diameter / 2}px`;
  cursor.classList.toggle("erasing", mode() === "subtract");
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
  render();
}

function closePolygon() {
  if (ed.polygon.length >= 3) push({ mode: mode(), shape: { polygon: ed.polygon.slice() } });
  ed.polygon = [];
  changed();
}

// Arrow keys draw a rectangle or an ellipse: Enter starts one in the middle, arrows move it,
// Shift+arrows size it, Enter again adds it (Escape drops it).
// Outpaint with the keyboard: an arrow grows the picture on that side by 64 px, Shift+arrow
// shrinks it back.
const KEY_GROW = 64;
function keyboardOutpaint(event) {
  const edge = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" }[event.key];
  if (!edge) return;
  event.preventDefault();
  const grown = ed.margins[edge] + (event.shiftKey ? -KEY_GROW : KEY_GROW);
  ed.margins[edge] = Math.min(2048, Math.max(0, grown));
  $("region-status").textContent = $("margins").textContent = marginsText();
  changed();
}

function keyboard(event) {
  if (op() === "outpaint") return keyboardOutpaint(event);
  if (op() !== "inpaint" || !["rect", "ellipse"].includes(tool())) return;
  const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (event.key === "Enter") {
    event.preventDefault();
    if (!ed.keyboard) ed.keyboard = [0.4, 0.4, 0.6, 0.6];
    else {
      push({ mode: mode(), shape: { [tool()]: ed.keyboard.map(round4) } });
      ed.keyboard = null;
      ed.pending = null;
    }
  } else if (event.key === "Escape" && ed.keyboard) {
    ed.keyboard = null;
    ed.pending = null;
  } else if (moves[event.key] && ed.keyboard) {
    event.preventDefault();
    const [dx, dy] = moves[event.key].map((v) => v * KEY_STEP);
    const box = ed.keyboard;
    if (event.shiftKey) ed.keyboard = [box[0], box[1], Math.max(box[0] + KEY_STEP, box[2] + dx), Math.max(box[1] + KEY_STEP, box[3] + dy)];
    else ed.keyboard = [box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy];
    const [x0, y0, x1, y1] = ed.keyboard;
    const shift = [Math.max(0, -x0) - Math.max(0, x1 - 1), Math.max(0, -y0) - Math.max(0, y1 - 1)];
    ed.keyboard = [x0 + shift[0], y0 + shift[1], x1 + shift[0], y1 + shift[1]].map(round4);
  } else return;
  ed.pending = ed.keyboard ? { [tool()]: ed.keyboard } : null;
  const where = ed.keyboard ? `selection ${ed.keyboard.map((v) => Math.round(v * 100)).join(", ")} (% of the picture)` : `${ed.regions.length} region(s)`;
  $("region-status").textContent = where;
  changed();
}

function undo() {
  if (ed.polygon.length) ed.polygon.pop();
  else if (ed.regions.length) ed.redo.push(ed.regions.pop());
  changed();
}

function redo() {
  if (ed.redo.length) ed.regions.push(ed.redo.pop());
  changed();
}

function clear() {
  if (ed.regions.length) ed.redo = [];
  ed.regions = [];
  ed.polygon = [];
  ed.pending = null;
  ed.margins = { left: 0, right: 0, up: 0, down: 0 };
  ed.drawn = true;
  ed.written = null;
  changed();
}

// The mask as the model will see it, tinted red over the picture.
function render() {
  const overlay = $("overlay");
  const [w, h] = [overlay.width, overlay.height];
  const ctx = overlay.getContext("2d");
  ctx.clearRect(0, 0, w, h);
  if (op() === "inpaint") {
    const tinted = document.createElement("canvas");
    [tinted.width, tinted.height] = [w, h];
    const t = tinted.getContext("2d");
    const blur = feather() * Math.min(w, h);
    t.filter = blur > 0 ? `blur(${blur}px)` : "none";
    const mask = maskCanvas();
    t.drawImage(mask, 0, 0);
    if (grow() > 0) { // the padding: the mask drawn around itself
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1], [0.7, 0.7], [-0.7, 0.7], [0.7, -0.7], [-0.7, -0.7]]) {
        t.drawImage(mask, dx * grow(), dy * grow());
      }
    }
    t.filter = "none";
    t.globalCompositeOperation = "source-in";
    t.fillStyle = "rgba(230, 30, 60, 0.55)";
    t.fillRect(0, 0, w, h);
    if ($("invert").checked && hasRegion()) {
      ctx.fillStyle = "rgba(230, 30, 60, 0.55)";
      ctx.fillRect(0, 0, w, h);
      ctx.globalCompositeOperation = "destination-out";
      ctx.drawImage(tinted, 0, 0);
      ctx.globalCompositeOperation = "source-over";
    } else ctx.drawImage(tinted, 0, 0);
  }
  outline(w, h);
  showMargins();
  $("undo").disabled = !ed.regions.length && !ed.polygon.length;
  $("redo").disabled = !ed.redo.length;
}

function hasRegion() {
  return ed.regions.some((r) => r.mode === "add") || Boolean(ed.written && !ed.regions.length);
}

function outline(w, h) {
  const ctx = $("draw").getContext("2d");
  ctx.clearRect(0, 0, w, h);
  ctx.setLineDash([8, 6]);
  ctx.lineWidth = Math.max(2, w / 300);
  ctx.strokeStyle = "#fff";
  if (op() !== "inpaint") return;
  for (const region of ed.regions) {
    if (!region.shape) continue;
    ctx.strokeStyle = region.mode === "subtract" ? "#4dd0e1" : "#fff";
    tracePath(ctx, region.shape, w, h);
    ctx.stroke();
  }
  if (ed.pending) { ctx.strokeStyle = "#ff0"; tracePath(ctx, ed.pending, w, h); ctx.stroke(); }
  if (ed.polygon.length) {
    ctx.strokeStyle = "#fff";
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
  $("margins").textContent = op() === "outpaint" ? marginsText() : "";
}

function marginsText() {
  const { left, right, up, down } = ed.margins;
  return `new canvas: +${left}px left, +${right}px right, +${up}px up, +${down}px down`;
}

// The region as the request sends it: one added shape as fractions, anything else painted.
function region() {
  const only = ed.regions.length === 1 ? ed.regions[0] : null;
  if (only && only.shape && only.mode === "add" && grow() === 0) return { shape: only.shape };
  if (hasRegion()) return { brush: maskPng(), grow: grow() };
  return {};
}

function requestBody() {
  const editor = $("editor");
  const edit = { op: op(), prompt: $("prompt").value, feather: feather(), invert: $("invert").checked, strength: Number($("strength").value), ...ed.margins };
  if (op() === "inpaint") Object.assign(edit, region());
  return { ill: editor.dataset.ill, at: editor.dataset.at === "" ? null : Number(editor.dataset.at), edit };
}

// Only the fields the edit's op takes (an outpaint has margins, no strength; an upscale a model).
function changeBody() {
  const editor = $("editor");
  const fields = editor.dataset.fields.split(" ");
  const seed = $("seed").value.trim();
  const all = {
    prompt: $("prompt").value, strength: $("strength") ? Number($("strength").value) : null,
    negative_prompt: $("negative") ? $("negative").value.trim() || null : null,
    seed: seed === "" ? null : Number(seed), model: $("model").value.trim() || null, ...ed.margins,
  };
  const edit = Object.fromEntries(Object.entries(all).filter(([name]) => fields.includes(name)));
  if (op() === "inpaint") {
    Object.assign(edit, { feather: feather(), invert: $("invert").checked });
    if (ed.drawn && ed.regions.length) Object.assign(edit, region());
  }
  return { ill: editor.dataset.ill, index: Number(editor.dataset.change), edit };
}

function ready() {
  if (changing()) return true;
  if (op() === "outpaint") return Object.values(ed.margins).some((v) => v > 0);
  return hasRegion();
}

let forecastTimer = null;
function changed() {
  document.querySelectorAll("output.value").forEach((out) => {
    const input = $(out.htmlFor.value);
    out.textContent = input.id === "brush-size" || input.id === "grow" ? `${input.value} px` : input.value;
  });
  $("region-count").textContent = `${ed.regions.length} region(s)`;
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
    $("apply").focus();
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
