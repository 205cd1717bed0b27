// bookbuild studio: the build status bar, live reload, and the board's buttons.
"use strict";

const studio = {
  token: document.querySelector('meta[name="studio-token"]').content,
  generation: null,
  state: null,
  listeners: [],

  // POST JSON with the page's token. A paid change answers 409 with its forecast: ask once.
  async post(url, body) {
    let answer = await studio.send(url, body);
    if (answer.status === 409 && answer.data.needs_approval) {
      if (!window.confirm(studio.costQuestion(answer.data.needs_approval))) {
        return { ok: false, cancelled: true };
      }
      body = { ...body, approved_cost: answer.data.needs_approval.cost_usd };
      answer = await studio.send(url, body);
    }
    if (answer.status !== 200) {
      studio.showError(answer.data.error || "the studio refused the change");
      return { ok: false, ...answer.data };
    }
    studio.showError("");
    return { ok: true, ...answer.data };
  },

  async send(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Studio-Token": studio.token },
      body: JSON.stringify(body),
    });
    return { status: response.status, data: await response.json() };
  },

  costQuestion(forecast) {
    let text = `This makes ${forecast.calls} model call(s), about $${forecast.cost_usd.toFixed(4)}`;
    if (forecast.unknown_price_calls) {
      text += ` plus ${forecast.unknown_price_calls} call(s) of unknown price`;
    }
    return text + ". Go ahead?";
  },

  showError(message) {
    const box = document.getElementById("build-error");
    box.textContent = message;
    box.hidden = !message;
  },

  say(message) {
    document.getElementById("build-message").textContent = message;
  },

  onBuilt(callback) {
    studio.listeners.push(callback);
  },

  update(state) {
    const bar = document.getElementById("build-status");
    bar.dataset.state = state.state;
    document.getElementById("build-state").textContent = state.state;
    document.getElementById("build-message").textContent = state.message;
    document.getElementById("build-log").textContent = state.log.join("\n");
    const approve = document.getElementById("approve-build");
    approve.hidden = state.state !== "approval";
    approve.dataset.cost = state.forecast.cost_usd ?? "";
    studio.showError(state.state === "error" ? state.message : "");
    const previous = studio.generation;
    studio.generation = state.generation;
    studio.state = state.state;
    if (previous !== null && state.generation > previous) {
      studio.listeners.forEach((callback) => callback(state));
    }
  },
};
window.studio = studio;

function connectEvents() {
  const source = new EventSource("/events");
  source.onmessage = (message) => studio.update(JSON.parse(message.data));
}

// The board: actions write book.yaml, then the sections are replaced in place when the build
// is done (no reload: the scroll position and the focused button stay).
function boardButtons() {
  const main = document.querySelector("main");
  main.addEventListener("click", boardClick);
  main.addEventListener("input", boardInput);
  main.addEventListener("change", boardChange);
  main.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && event.target.matches("img.zoomable")) {
      event.preventDefault();
      boardClick(event);
    }
  });
  document.querySelectorAll('input[name="filter"]').forEach((box) => box.addEventListener("change", applyFilters));
  placeCompares(document);
  studio.onBuilt(refreshBoard);
}

async function act(button, url, body) {
  studio.lastFocus = button.id; // a disabled button loses the focus: it is given back after
  studio.lastSection = button.closest("section.ill")?.id; // or to its heading, when it went
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  const answer = await studio.post(url, body);
  button.disabled = false;
  button.removeAttribute("aria-busy");
  if (answer.ok) {
    document.body.dataset.waiting = "yes";
    studio.say(`${answer.reason}: building…`);
  }
  return answer;
}

function boardClick(event) {
  const b = event.target.closest("button, img.zoomable");
  if (!b) return;
  const ill = b.dataset.ill;
  const index = Number(b.dataset.index);
  if (b.matches("img.zoomable")) return viewer.open(b.dataset.full, null, [b.alt]);
  if (b.matches(".remove-edit")) {
    if (window.confirm("Remove this edit from book.yaml?")) act(b, "/api/edit/remove", { ill, index });
  } else if (b.matches(".move-edit")) act(b, "/api/edit/move", { ill, index, to: Number(b.dataset.to) });
  else if (b.matches(".new-take")) act(b, "/api/take", { ill });
  else if (b.matches(".choose-take")) act(b, "/api/take", { ill, take: Number(b.dataset.take) });
  else if (b.matches(".approve")) act(b, "/api/approve", { ill, freeze: b.dataset.freeze === "true" });
  else if (b.matches(".reroll")) act(b, "/api/edit/reroll", { ill, index });
  else if (b.matches(".choose-seed")) act(b, "/api/edit/seed", { ill, index, seed: Number(b.dataset.seed) });
  else if (b.matches(".edit-variants")) {
    const count = Number(b.closest("section").querySelector(".variant-count").value);
    act(b, "/api/variants", { ill, index, count });
  }
  else if (b.matches(".variants")) {
    const count = Number(b.closest("section").querySelector(".variant-count").value);
    act(b, "/api/variants", { ill, count });
  } else if (b.matches(".compare-full")) {
    const box = b.closest("[data-compare]");
    viewer.open(box.dataset.before, box.dataset.after, ["before", "after"]);
  } else if (b.matches(".compare-takes")) {
    const picked = [...b.closest("section").querySelectorAll(".pick-compare:checked")];
    viewer.open(picked[0].dataset.full, picked[1].dataset.full, picked.map((p) => p.dataset.label));
  }
}

function boardInput(event) {
  const slider = event.target.closest("[data-compare] .slider");
  if (slider) showSlider(slider);
}

function showSlider(slider) {
  const box = slider.closest("[data-compare]");
  const value = Number(slider.value);
  box.querySelector(".value").textContent = `${value}%`;
  if (box.classList.contains("grown")) box.querySelector(".under").style.opacity = value / 100;
  else box.querySelector(".after").style.clipPath = `inset(0 ${100 - value}% 0 0)`;
}

function boardChange(event) {
  if (!event.target.matches(".pick-compare")) return;
  const section = event.target.closest("section");
  const picked = section.querySelectorAll(".pick-compare:checked").length;
  section.querySelector(".compare-takes").disabled = picked !== 2;
}

// An outpaint's picture before sits where it was in the grown one (data-place: % boxes).
function placeCompares(root) {
  root.querySelectorAll("[data-compare]").forEach((box) => {
    const under = box.querySelector(".under");
    const place = (box.dataset.place || "").split(" ").map(Number);
    if (box.classList.contains("grown") && place.length === 4) {
      [under.style.left, under.style.top, under.style.width, under.style.height] = place.map((v) => `${v}%`);
    }
    showSlider(box.querySelector(".slider"));
  });
}

function applyFilters() {
  const wanted = [...document.querySelectorAll('input[name="filter"]:checked')].map((b) => b.value);
  const sections = [...document.querySelectorAll("section.ill")];
  let shown = 0;
  for (const section of sections) {
    const work = (section.dataset.work || "").split(" ");
    const keep = wanted.every((w) => (w === "unapproved" ? section.dataset.approved === "no" : work.includes(w)));
    section.hidden = !keep;
    shown += keep ? 1 : 0;
  }
  document.getElementById("shown").textContent = `${shown} of ${sections.length} shown`;
}

async function refreshBoard() {
  const active = document.activeElement;
  const focused = (active && active !== document.body && active.id) || studio.lastFocus;
  const response = await fetch("/board", { headers: { Accept: "text/html" } });
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  if (fresh.body.dataset.page !== "board") return window.location.reload();
  const now = new Map([...document.querySelectorAll("section.ill")].map((s) => [s.id, s]));
  const next = [...fresh.querySelectorAll("section.ill")];
  if (next.length !== now.size || next.some((s) => !now.has(s.id))) return window.location.reload();
  for (const section of next) {
    const old = now.get(section.id);
    if (old.innerHTML === section.innerHTML && old.dataset.work === section.dataset.work) continue;
    old.replaceWith(document.adoptNode(section));
    placeCompares(section);
  }
  const jump = fresh.querySelector(".jump");
  if (jump) document.querySelector(".jump").replaceWith(document.adoptNode(jump));
  applyFilters();
  let target = focused && document.getElementById(focused);
  if (!target && studio.lastFocus && studio.lastSection) { // the button is gone (a Choose)
    target = document.getElementById(`${studio.lastSection}-title`);
    if (target) target.tabIndex = -1;
  }
  if (target) target.focus();
  studio.lastFocus = null;
  studio.lastSection = null;
  document.body.dataset.waiting = "";
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
}

// The cast page: approve a sheet or make a new take (as on the board), and ask what a change
// of a character would re-run.
function castButtons() {
  document.querySelector("main").addEventListener("click", async (event) => {
    const b = event.target.closest("button, img.zoomable");
    if (!b) return;
    if (b.matches("img.zoomable")) return viewer.open(b.dataset.full, null, [b.alt]);
    if (b.matches(".approve")) act(b, "/api/approve", { ill: b.dataset.ill, freeze: b.dataset.freeze === "true" });
    else if (b.matches(".new-take")) act(b, "/api/take", { ill: b.dataset.ill });
    else if (b.matches(".change-forecast")) castForecast(b);
    else if (b.matches(".describe-apply")) {
      const area = b.form.querySelector("textarea");
      act(b, `/api/cast/${encodeURIComponent(b.dataset.character)}/description`, { description: area.value });
    }
  });
  studio.onBuilt(() => window.location.reload());
}

// What a change of the character would re-run and cost: the description typed in the box, or
// (unchanged) any new description or reference.
async function castForecast(b) {
  const out = b.form.querySelector(".forecast-answer");
  const area = b.form.querySelector("textarea");
  const typed = area.value.trim() !== area.defaultValue.trim();
  const query = typed ? `?description=${encodeURIComponent(area.value.trim())}` : "";
  out.textContent = "planning…";
  const answer = await (await fetch(`/api/cast/${encodeURIComponent(b.dataset.character)}/forecast${query}`)).json();
  if (answer.error) { out.textContent = answer.error; return; }
  let cost = `about $${answer.cost_usd.toFixed(4)}`;
  if (!answer.cost_usd && answer.free) cost = answer.free === "draft" ? "free (a draft)" : "free (runs on this machine)";
  if (answer.unknown_price_calls) cost += ` plus ${answer.unknown_price_calls} call(s) of unknown price`;
  const what = typed ? "This description" : "A new description or reference";
  let text = `${what}: ${answer.calls} model call(s), ${cost}: ${answer.steps.join(", ") || "nothing"}`;
  if (answer.pending) text += ` (besides ${answer.pending} call(s) the book needs anyway: not built yet or stale)`;
  out.textContent = text;
  // every row marks the pictures the change would redraw (a picture two characters share too)
  const redrawn = new Set(answer.pictures);
  for (const figure of document.querySelectorAll(".lineup figure")) {
    figure.classList.toggle("would-rerun", redrawn.has(figure.dataset.key));
  }
}

// The preview keeps its place like Quarto's: the page of the book and the scroll position
// survive a rebuild (and a reload of the studio page); each picture links to the board.
const PLACE = "bookbuild-preview-place";

function previewPlace(frame) {
  try {
    const w = frame.contentWindow;
    if (!w.location.pathname.startsWith("/book/")) return null;
    return { path: w.location.pathname + w.location.search, x: w.scrollX, y: w.scrollY };
  } catch (error) {
    return null; // not loaded yet
  }
}

function previewReload() {
  const frame = document.getElementById("preview");
  const saved = JSON.parse(sessionStorage.getItem(PLACE) || "null");
  if (saved && saved.path.startsWith("/book/") && !frame.hidden) frame.src = saved.path;
  let restore = saved;
  const remember = () => {
    const place = previewPlace(frame);
    if (place) sessionStorage.setItem(PLACE, JSON.stringify(place));
  };
  frame.addEventListener("load", () => {
    const w = frame.contentWindow;
    const here = previewPlace(frame);
    if (restore && here && restore.path === here.path) w.scrollTo(restore.x, restore.y);
    restore = null;
    remember();
    let timer = null;
    w.addEventListener("scroll", () => { clearTimeout(timer); timer = setTimeout(remember, 100); });
    linkPictures(w.document);
    document.body.dataset.previewLoaded = String(Number(document.body.dataset.previewLoaded || 0) + 1);
  });
  studio.onBuilt(() => {
    const waiting = document.getElementById("first-build");
    if (waiting) waiting.remove();
    restore = previewPlace(frame);
    if (frame.hidden) {
      frame.hidden = false;
      frame.contentWindow.location.replace("/book/index.html");
    } else {
      frame.contentWindow.location.reload();
    }
  });
}

// Each picture of the preview: a link to its board entry and one to its region editor.
async function linkPictures(doc) {
  const response = await fetch("/api/pictures");
  if (!response.ok) return;
  const pictures = await response.json();
  doc.querySelectorAll("img").forEach((img) => {
    const name = (img.getAttribute("src") || "").split("/").pop().split(".")[0];
    const found = pictures[name];
    if (!found || img.dataset.studioLinked) return;
    img.dataset.studioLinked = "yes";
    const bar = doc.createElement("span");
    bar.className = "studio-links";
    bar.style.cssText = "display:block;text-align:center;font:12px system-ui,sans-serif;margin:.2em 0";
    for (const [text, href] of [["on the board", `/board#${found.anchor}`], ["edit a region", `/edit/${found.key}`]]) {
      const a = doc.createElement("a");
      a.textContent = text;
      a.href = href;
      a.target = "_top";
      a.style.cssText = "margin:0 .5em;color:#b3261e";
      bar.append(a);
    }
    img.insertAdjacentElement("afterend", bar);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const rendered = Number(document.body.dataset.generation);
  if (rendered >= 0) studio.generation = rendered; // a build newer than the page reloads it
  document.getElementById("approve-build").addEventListener("click", async (event) => {
    const cost = Number(event.target.dataset.cost || 0);
    if (window.confirm(`Build now, paying about $${cost.toFixed(4)}?`)) {
      await studio.post("/api/build", { approved_cost: cost });
    }
  });
  const page = document.body.dataset.page;
  if (page === "board") boardButtons();
  if (page === "cast") castButtons();
  if (page === "preview") previewReload();
  if (page === "problem") studio.onBuilt(() => window.location.reload());
  connectEvents();
});
