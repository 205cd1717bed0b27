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

function boardButtons() {
  const act = async (url, body, button) => {
    button.disabled = true;
    const answer = await studio.post(url, body);
    button.disabled = false;
    if (answer.ok) document.body.dataset.waiting = "yes";
  };
  document.querySelectorAll(".remove-edit").forEach((b) => b.addEventListener("click", () => {
    if (window.confirm("Remove this edit from book.yaml?")) {
      act("/api/edit/remove", { ill: b.dataset.ill, index: Number(b.dataset.index) }, b);
    }
  }));
  document.querySelectorAll(".move-edit").forEach((b) => b.addEventListener("click", () =>
    act("/api/edit/move", { ill: b.dataset.ill, index: Number(b.dataset.index), to: Number(b.dataset.to) }, b)));
  document.querySelectorAll(".new-take, .choose-take").forEach((b) => b.addEventListener("click", () =>
    act("/api/take", { ill: b.dataset.ill, take: Number(b.dataset.take) }, b)));
  document.querySelectorAll(".approve").forEach((b) => b.addEventListener("click", () =>
    act("/api/approve", { ill: b.dataset.ill, freeze: b.dataset.freeze === "true" }, b)));
  document.querySelectorAll("[data-compare]").forEach((box) => {
    const after = box.querySelector(".after");
    const slider = box.querySelector(".slider");
    if (!after) return;
    slider.addEventListener("input", () => {
      after.style.clipPath = `inset(0 ${100 - Number(slider.value)}% 0 0)`;
    });
  });
  studio.onBuilt(() => window.location.reload());
}

function previewReload() {
  const frame = document.getElementById("preview");
  studio.onBuilt(() => {
    const waiting = document.getElementById("first-build");
    if (waiting) waiting.remove();
    frame.hidden = false;
    frame.contentWindow.location.replace("/book/index.html");
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
  if (page === "preview") previewReload();
  if (page === "problem") studio.onBuilt(() => window.location.reload());
  connectEvents();
});
