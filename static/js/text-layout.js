/*
 * Words in the image, placed by hand: draw a box on a canvas of the chosen size,
 * type a word in it, drag it, resize it from its corners; as many words as needed.
 *
 * The boxes are written, as the person works, into the form's text field in its
 * no-script format (`WORD left top width height`, in % of the image), and read back
 * from it, so the server parses one format. Characters are checked as they are typed
 * against the docs' set (the catalog's `text_layout_charset`; a lower-case letter
 * counts as its capital, as `recraft.validation` does). The docs let a box extend
 * past the edge (it is cropped there), so the canvas has a margin around the image;
 * a word mostly or wholly outside gets a warning. Works with a mouse, a pen or touch.
 *
 * Markup: <div data-text-layout data-input=ID data-size-input=ID [data-model-input=ID]>.
 */
(function () {
  "use strict";

  const MARGIN = 0.15; // room around the image, as a share of its sides
  const MIN_SIDE = 0.02; // a box smaller than this (2%) is a slip, not a box
  const round = (v) => Math.round(v * 1000) / 10; // 0.12345 → 12.3 (%)

  function catalog() {
    const el = document.getElementById("composer-catalog");
    return el ? JSON.parse(el.textContent) : null;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  class TextLayout {
    constructor(root) {
      this.root = root;
      this.input = document.getElementById(root.dataset.input);
      this.sizeInput = document.getElementById(root.dataset.sizeInput);
      this.modelInput = root.dataset.modelInput ? document.getElementById(root.dataset.modelInput) : null;
      const cat = catalog();
      this.charset = new Set(cat ? [...cat.text_layout_charset] : []);
      this.words = []; // {text, x, y, w, h} in image-relative units (0..1 inside the image)
      this.selected = -1;
      this.build();
      this.readText();
      this.input.addEventListener("change", () => this.readText());
      if (this.sizeInput) this.sizeInput.addEventListener("change", () => this.layout());
      if (this.modelInput) this.modelInput.addEventListener("change", () => this.check());
      window.addEventListener("resize", () => this.layout());
    }

    build() {
      this.help = el("p", { class: "help" }, "Draw a box where a word goes, then type the word. Drag a box to move it, its corners to resize it. A box may go past the edge: that part is cropped.");
      this.stage = el("div", { class: "tl-stage", "data-testid": "text-layout-stage", role: "application", "aria-label": "Words in the image: draw boxes" });
      this.image = el("div", { class: "tl-image", "aria-hidden": "true" });
      this.stage.append(this.image);
      this.addButton = el("button", { type: "button", "data-testid": "text-layout-add" }, "Add a word");
      this.addButton.addEventListener("click", () => this.add({ text: "", x: 0.3, y: 0.4, w: 0.4, h: 0.15 }, true));
      this.status = el("ul", { class: "tl-warnings", "aria-live": "polite", "data-testid": "text-layout-warnings" });
      this.root.append(this.help, this.stage, el("div", { class: "tl-actions" }), this.status);
      this.root.querySelector(".tl-actions").append(this.addButton);
      this.input.closest(".field").classList.add("tl-text");
      this.bindDrawing();
      this.layout();
    }

    imageSize() {
      const [w, h] = (this.sizeInput && this.sizeInput.value ? this.sizeInput.value : "1024x1024").split("x").map(Number);
      return { w: w || 1024, h: h || 1024 };
    }

    /* The stage shows the image with a margin around it; the image keeps its shape. */
    layout() {
      const { w, h } = this.imageSize();
      const total = 1 + 2 * MARGIN;
      this.stage.style.aspectRatio = `${w * total} / ${h * total}`;
      const pos = (v) => `${(100 * (v + MARGIN)) / total}%`;
      Object.assign(this.image.style, { left: pos(0), top: pos(0), width: `${100 / total}%`, height: `${100 / total}%` });
      this.render();
    }

    /* A pointer's position in image-relative units (0..1 inside the image). */
    at(e) {
      const r = this.stage.getBoundingClientRect();
      const total = 1 + 2 * MARGIN;
      return [((e.clientX - r.left) / r.width) * total - MARGIN, ((e.clientY - r.top) / r.height) * total - MARGIN];
    }

    clamp(v) {
      return Math.min(Math.max(v, -MARGIN), 1 + MARGIN);
    }

    bindDrawing() {
      let drag = null;
      this.stage.addEventListener("pointerdown", (e) => {
        if (e.button !== 0) return;
        const target = e.target;
        if (target.closest("input, button")) return;
        const box = target.closest(".tl-box");
        const [x, y] = this.at(e);
        if (box) {
          const i = Number(box.dataset.index);
          const word = { ...this.words[i] };
          drag = { kind: target.dataset.handle || "move", i, start: [x, y], word };
          this.select(i);
        } else {
          drag = { kind: "draw", start: [this.clamp(x), this.clamp(y)], i: -1 };
        }
        e.preventDefault();
        try {
          this.stage.setPointerCapture(e.pointerId);
        } catch (err) {
          // An untracked pointer: the drag still works while it stays on the stage.
        }
      });
      this.stage.addEventListener("pointermove", (e) => {
        if (!drag) return;
        const [x, y] = this.at(e).map((v) => this.clamp(v));
        const [sx, sy] = drag.start;
        if (drag.kind === "draw") {
          const box = { x: Math.min(sx, x), y: Math.min(sy, y), w: Math.abs(x - sx), h: Math.abs(y - sy) };
          if (drag.i < 0 && (box.w > MIN_SIDE || box.h > MIN_SIDE)) drag.i = this.add({ text: "", ...box }, false);
          if (drag.i >= 0) Object.assign(this.words[drag.i], box);
        } else if (drag.kind === "move") {
          const o = drag.word;
          this.words[drag.i].x = this.clamp(o.x + x - sx);
          this.words[drag.i].y = this.clamp(o.y + y - sy);
        } else {
          // A corner: the opposite corner stays where it is.
          const o = drag.word;
          const left = drag.kind.includes("w") ? x : o.x;
          const right = drag.kind.includes("e") ? x : o.x + o.w;
          const top = drag.kind.includes("n") ? y : o.y;
          const bottom = drag.kind.includes("s") ? y : o.y + o.h;
          Object.assign(this.words[drag.i], { x: Math.min(left, right), y: Math.min(top, bottom), w: Math.max(Math.abs(right - left), MIN_SIDE), h: Math.max(Math.abs(bottom - top), MIN_SIDE) });
        }
        this.render();
      });
      const finish = () => {
        if (!drag) return;
        const created = drag.kind === "draw" ? drag.i : -1;
        drag = null;
        this.write();
        if (created >= 0) this.focusWord(created);
      };
      this.stage.addEventListener("pointerup", finish);
      this.stage.addEventListener("pointercancel", finish);
      this.stage.addEventListener("keydown", (e) => this.onKey(e));
    }

    onKey(e) {
      const box = e.target.closest && e.target.closest(".tl-box");
      if (!box || e.target.tagName === "INPUT") return;
      const i = Number(box.dataset.index);
      const step = e.shiftKey ? 0.05 : 0.01;
      const word = this.words[i];
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[e.key]) {
        word.x = this.clamp(word.x + moves[e.key][0]);
        word.y = this.clamp(word.y + moves[e.key][1]);
      } else if (e.key === "Delete" || e.key === "Backspace") {
        this.remove(i);
        return;
      } else return;
      e.preventDefault();
      this.render();
      this.write();
    }

    add(word, focus) {
      this.words.push(word);
      const i = this.words.length - 1;
      this.select(i);
      this.render();
      if (focus) {
        this.write();
        this.focusWord(i);
      }
      return i;
    }

    remove(i) {
      this.words.splice(i, 1);
      this.selected = -1;
      this.render();
      this.write();
    }

    select(i) {
      this.selected = i;
      for (const box of this.stage.querySelectorAll(".tl-box")) box.classList.toggle("is-selected", Number(box.dataset.index) === i);
    }

    focusWord(i) {
      const input = this.stage.querySelector(`.tl-box[data-index="${i}"] input`);
      if (input) input.focus();
    }

    /* Characters the docs' set does not hold (a lower-case letter counts as its capital). */
    badCharacters(text) {
      const bad = new Set();
      for (const ch of text) {
        if (this.charset.has(ch)) continue;
        const up = ch.toUpperCase();
        if (up !== ch && up.length === 1 && this.charset.has(up)) continue;
        bad.add(ch === " " ? "a space" : `“${ch}”`);
      }
      return [...bad];
    }

    visibleShare(w) {
      const ix = Math.max(0, Math.min(w.x + w.w, 1) - Math.max(w.x, 0));
      const iy = Math.max(0, Math.min(w.y + w.h, 1) - Math.max(w.y, 0));
      return w.w * w.h > 0 ? (ix * iy) / (w.w * w.h) : 0;
    }

    render() {
      const total = 1 + 2 * MARGIN;
      const pct = (v) => `${(100 * v) / total}%`;
      const focused = document.activeElement && this.stage.contains(document.activeElement) ? document.activeElement : null;
      const existing = [...this.stage.querySelectorAll(".tl-box")];
      existing.slice(this.words.length).forEach((b) => b.remove());
      this.words.forEach((word, i) => {
        let box = existing[i];
        if (!box) {
          box = el("div", { class: "tl-box", tabindex: "0", "data-testid": "text-layout-box" });
          const input = el("input", { type: "text", "aria-label": "Word", spellcheck: "false", autocomplete: "off", "data-testid": "text-layout-word", maxlength: "40" });
          input.addEventListener("input", () => {
            this.words[Number(box.dataset.index)].text = input.value;
            this.check();
            this.write();
          });
          input.addEventListener("focus", () => this.select(Number(box.dataset.index)));
          const close = el("button", { type: "button", class: "tl-remove", "aria-label": "Remove this word", title: "Remove this word" }, "×");
          close.addEventListener("click", () => this.remove(Number(box.dataset.index)));
          box.append(input, close);
          for (const corner of ["nw", "ne", "sw", "se"]) box.append(el("span", { class: `tl-handle tl-${corner}`, "data-handle": corner, "aria-hidden": "true" }));
          this.stage.append(box);
        }
        box.dataset.index = String(i);
        Object.assign(box.style, { left: pct(word.x + MARGIN), top: pct(word.y + MARGIN), width: pct(word.w), height: pct(word.h) });
        const input = box.querySelector("input");
        if (input !== focused && input.value !== word.text) input.value = word.text;
        box.classList.toggle("is-selected", i === this.selected);
      });
      this.check();
    }

    /* Problems a person can act on, under the canvas and on the boxes. */
    check() {
      const notes = [];
      const model = this.modelInput ? this.modelInput.value : "";
      if (this.words.length && model && model !== "recraftv3") notes.push({ text: "Words in the image work with Recraft V3 only: switch Model to Recraft V3, or remove the words.", level: "error" });
      this.words.forEach((word, i) => {
        const box = this.stage.querySelector(`.tl-box[data-index="${i}"]`);
        const name = word.text ? `“${word.text}”` : `Box ${i + 1}`;
        const bad = this.badCharacters(word.text);
        const share = this.visibleShare(word);
        let state = "";
        if (!word.text) {
          notes.push({ text: `${name} has no word yet: type one, or remove the box.`, level: "warn" });
        } else if (bad.length) {
          notes.push({ text: `${name}: ${bad.join(", ")} cannot be drawn. Use capital letters, digits and common symbols; one word per box.`, level: "error" });
          state = "is-invalid";
        }
        if (share === 0) {
          notes.push({ text: `${name} is entirely outside the image: it will not be visible.`, level: "warn" });
          state = state || "is-hidden";
        } else if (share < 0.5) {
          notes.push({ text: `${name} is mostly outside the image: most of it will be cropped.`, level: "warn" });
          state = state || "is-cropped";
        }
        if (box) {
          box.classList.remove("is-invalid", "is-hidden", "is-cropped");
          if (state) box.classList.add(state);
        }
      });
      this.status.replaceChildren(...notes.map((n) => el("li", { class: `tl-${n.level}` }, n.text)));
    }

    /* Boxes → the text field's lines (words still empty are left out). */
    write() {
      const lines = this.words
        .filter((w) => w.text.trim())
        .map((w) => [w.text.trim(), round(w.x), round(w.y), round(w.w), round(w.h)].join(" "));
      this.input.value = lines.join("\n");
    }

    /* The text field's lines → boxes (on load, and when it is edited by hand). */
    readText() {
      const words = [];
      for (const line of this.input.value.split("\n")) {
        const parts = line.trim().split(/\s+/);
        if (parts.length !== 5) continue;
        const [x, y, w, h] = parts.slice(1).map((p) => parseFloat(p.replace("%", "")) / 100);
        if ([x, y, w, h].some((v) => !Number.isFinite(v)) || w <= 0 || h <= 0) continue;
        words.push({ text: parts[0], x, y, w, h });
      }
      const drafts = this.words.filter((w) => !w.text.trim());
      this.words = [...words, ...drafts];
      this.selected = -1;
      this.render();
    }
  }

  function start(scope) {
    for (const root of scope.querySelectorAll("[data-text-layout]")) {
      if (root.textLayout || !document.getElementById(root.dataset.input)) continue;
      root.textLayout = new TextLayout(root);
    }
  }

  document.addEventListener("htmx:load", (e) => start(e.target.querySelectorAll ? e.target : document));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(document));
  else start(document);
})();
