// The full-size viewer: one picture, or two to compare (a slider, or side by side when their
// sizes differ); zoom with the wheel or the buttons, pan by dragging. Escape closes it.
"use strict";

const viewer = {
  zoom: 1, x: 0, y: 0, drag: null,

  open(first, second = null, labels = ["", ""]) {
    let box = document.getElementById("viewer");
    if (!box) box = viewer.build();
    const [a, b] = [box.querySelector(".v-first"), box.querySelector(".v-second")];
    a.src = first;
    a.alt = labels[0] || "the picture, full size";
    b.hidden = !second;
    box.querySelector(".v-compare").hidden = !second;
    if (second) { b.src = second; b.alt = labels[1] || "the second picture"; }
    box.querySelector(".v-labels").textContent = second ? `${labels[0]} ⟷ ${labels[1]}` : labels[0];
    viewer.opener = document.activeElement;
    viewer.reset();
    viewer.slide(50);
    box.showModal();
    box.querySelector(".v-close").focus();
  },

  build() {
    const box = document.createElement("dialog");
    box.id = "viewer";
    box.className = "viewer";
    box.setAttribute("aria-label", "full-size view");
    box.innerHTML = `
      <div class="v-bar">
        <span class="v-labels"></span>
        <button type="button" class="v-out" aria-label="zoom out">−</button>
        <output class="v-zoom" aria-live="polite">100%</output>
        <button type="button" class="v-in" aria-label="zoom in">+</button>
        <button type="button" class="v-fit">fit</button>
        <label class="v-compare">compare <input type="range" class="v-slider" min="0" max="100" value="50"> <output class="v-value">50%</output></label>
        <button type="button" class="v-close">Close</button>
      </div>
      <div class="v-stage"><div class="v-pan"><img class="v-first" alt=""><img class="v-second" alt=""></div></div>`;
    document.body.append(box);
    box.querySelector(".v-close").addEventListener("click", () => box.close());
    box.addEventListener("close", () => viewer.opener && viewer.opener.focus());
    box.querySelector(".v-in").addEventListener("click", () => viewer.setZoom(viewer.zoom * 1.25));
    box.querySelector(".v-out").addEventListener("click", () => viewer.setZoom(viewer.zoom / 1.25));
    box.querySelector(".v-fit").addEventListener("click", () => viewer.reset());
    box.querySelector(".v-slider").addEventListener("input", (e) => viewer.slide(Number(e.target.value)));
    const stage = box.querySelector(".v-stage");
    stage.addEventListener("wheel", (e) => { e.preventDefault(); viewer.setZoom(viewer.zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15)); });
    stage.addEventListener("pointerdown", (e) => { viewer.drag = [e.clientX - viewer.x, e.clientY - viewer.y]; stage.setPointerCapture(e.pointerId); });
    stage.addEventListener("pointermove", (e) => { if (viewer.drag) { viewer.x = e.clientX - viewer.drag[0]; viewer.y = e.clientY - viewer.drag[1]; viewer.apply(); } });
    stage.addEventListener("pointerup", () => { viewer.drag = null; });
    box.addEventListener("keydown", (e) => {
      const step = 40;
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (e.key === "+" || e.key === "=") viewer.setZoom(viewer.zoom * 1.25);
      else if (e.key === "-") viewer.setZoom(viewer.zoom / 1.25);
      else if (moves[e.key] && e.target.type !== "range") { viewer.x += moves[e.key][0]; viewer.y += moves[e.key][1]; viewer.apply(); }
    });
    return box;
  },

  reset() { viewer.zoom = 1; viewer.x = 0; viewer.y = 0; viewer.apply(); },
  setZoom(zoom) { viewer.zoom = Math.min(16, Math.max(0.1, zoom)); viewer.apply(); },
  apply() {
    const box = document.getElementById("viewer");
    box.querySelector(".v-pan").style.transform = `translate(${viewer.x}px, ${viewer.y}px) scale(${viewer.zoom})`;
    box.querySelector(".v-zoom").textContent = `${Math.round(viewer.zoom * 100)}%`;
  },
  slide(value) {
    const box = document.getElementById("viewer");
    box.querySelector(".v-slider").value = value;
    box.querySelector(".v-value").textContent = `${value}%`;
    box.querySelector(".v-second").style.clipPath = `inset(0 0 0 ${value}%)`;
  },
};
window.viewer = viewer;
