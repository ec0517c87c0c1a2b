/*
 * The composer: model, style and substyle that follow each other, a style picker
 * with a picture of every style and substyle, the price as the form changes, and
 * colours for one run.
 *
 * Every form that sends a style carries `data-composer` (and `data-operation`, and
 * `data-model` when the model is fixed, as on the tools). The tables come from the
 * page's `<script type="application/json" id="composer-catalog">` block, written by
 * the server from `recraft/catalog.py`, so browser and server read one catalog. The
 * server applies the same rules again: a left-over substyle is dropped there too.
 *
 * Progressive enhancement: without this script the selects, the colour text fields
 * and the server-rendered price all work; with it nothing is sent that the chosen
 * model does not offer. No dependencies; re-run on every htmx swap.
 */
(function () {
  "use strict";

  let CATALOG = null;
  function catalog() {
    if (!CATALOG) {
      const el = document.getElementById("composer-catalog");
      CATALOG = el ? JSON.parse(el.textContent) : null;
    }
    return CATALOG;
  }

  function usd(units) {
    const dollars = units / catalog().units_per_usd;
    return "$" + (dollars > 0 && dollars < 0.01 ? dollars.toFixed(3) : dollars.toFixed(2));
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "type" || k === "title")
        node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function toHex(value) {
    // A colour as #rrggbb when the browser can read it (names, rgb(), #abc), else null.
    const probe = document.createElement("canvas").getContext("2d");
    probe.fillStyle = "#000001";
    const text = String(value).trim();
    const triple = text.match(/^\(?\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*\)?$/);
    probe.fillStyle = triple ? `rgb(${triple[1]}, ${triple[2]}, ${triple[3]})` : /^[0-9a-f]{3}([0-9a-f]{3})?$/i.test(text) ? "#" + text : text;
    const out = probe.fillStyle;
    return out === "#000001" && text.toLowerCase() !== "#000001" ? null : out;
  }

  class Composer {
    constructor(form) {
      this.form = form;
      this.cat = catalog();
      this.op = form.dataset.operation || "generate";
      this.fixedModel = form.dataset.model || "";
      this.model = form.querySelector("select[name=model]");
      this.style = form.querySelector("select[name=style]");
      this.substyle = form.querySelector("select[name=substyle]");
      this.n = form.querySelector("[name=n]");
      this.costText = form.querySelector("[data-cost-text]");
      form.addEventListener("input", () => this.updateCost());
      form.addEventListener("change", () => this.updateCost());
      this.colours = new ColourEditor(form);
      if (!this.style) {
        // A tool without a style: only its price follows the form.
        this.updateCost();
        return;
      }
      this.note = el("p", { class: "composer-note", role: "status", "aria-live": "polite", "data-testid": "composer-note" });
      (this.substyle ? this.substyle.closest(".field") : this.style.closest(".field")).after(this.note);
      this.note.hidden = true;

      if (this.model) this.model.addEventListener("change", () => this.onModel(false));
      this.style.addEventListener("change", () => this.onStyle(false));
      if (this.substyle) this.substyle.addEventListener("change", () => this.refreshPicker());
      this.buildPicker();
      this.onModel(true);
    }

    currentModel() {
      const chosen = this.model ? this.model.value : this.fixedModel;
      return chosen && this.cat.models[chosen] ? chosen : this.cat.default_model;
    }

    baseGroup() {
      return [...this.style.querySelectorAll("optgroup")].find((g) => g.label === "Base styles") || this.style;
    }

    isBrand(value) {
      return value.startsWith("brand:");
    }

    say(text) {
      this.note.textContent = text;
      this.note.hidden = !text;
    }

    /* The model changed: list its base styles; a style it does not offer is replaced. */
    onModel(initial) {
      const model = this.currentModel();
      const offered = this.cat.models[model].styles;
      const group = this.baseGroup();
      const current = this.style.value;
      for (const option of [...group.querySelectorAll("option")]) {
        if (!this.isBrand(option.value) && option.value !== "") option.remove();
      }
      for (const style of offered) group.append(el("option", { value: style, text: this.cat.style_labels[style] }));
      const isBase = current && !this.isBrand(current);
      if (isBase && offered.includes(current)) {
        this.style.value = current;
      } else if (isBase) {
        const blank = this.style.querySelector('option[value=""]');
        this.style.value = blank ? "" : offered[0];
        if (!initial) {
          const now = this.style.value ? this.cat.style_labels[this.style.value] : "no default";
          this.say(`${this.cat.style_labels[current]} is not offered by ${this.cat.models[model].label}; the style is now ${now}.`);
        }
      } else {
        this.style.value = current;
      }
      this.onStyle(initial, !initial && isBase && !offered.includes(current));
    }

    /* The style changed: list its substyles on this model; a left-over one is cleared. */
    onStyle(initial, keepNote) {
      if (!keepNote) this.say("");
      if (this.substyle) {
        const model = this.currentModel();
        const style = this.style.value;
        const offered = this.isBrand(style) ? [] : this.cat.models[model].substyles[style] || [];
        const current = this.substyle.value;
        this.substyle.replaceChildren(el("option", { value: "", text: "None" }));
        for (const sub of offered) this.substyle.append(el("option", { value: sub, text: this.cat.substyle_labels[sub] }));
        if (current && offered.includes(current)) {
          this.substyle.value = current;
        } else {
          this.substyle.value = "";
          if (current) {
            const label = this.cat.substyle_labels[current] || current;
            const styleName = this.isBrand(style) ? "a brand style" : this.cat.style_labels[style] || "this style";
            const text = `${label} is not a substyle of ${styleName} on ${this.cat.models[model].label}, so it was cleared.`;
            this.say(keepNote ? `${this.note.textContent} ${text}` : text);
          }
        }
        this.substyle.disabled = offered.length === 0;
        this.substyle.closest(".field").classList.toggle("is-empty", offered.length === 0);
      }
      this.refreshPicker();
      this.updateCost();
    }

    /* The style the call is priced by: a brand style's base, or the style itself. */
    pricedStyle() {
      if (!this.style) return "";
      const option = this.style.selectedOptions[0];
      if (option && option.dataset.baseStyle) return option.dataset.baseStyle;
      return this.style.value;
    }

    updateCost() {
      if (!this.costText) return;
      const op = this.cat.operations[this.op];
      const style = this.pricedStyle();
      const vector = this.cat.vector_styles.includes(style);
      let per;
      if (op.generation) per = this.cat.models[this.currentModel()].prices[vector ? "vector" : "raster"];
      else if (op.always_vector) per = op.raster;
      else per = vector && op.vector !== null ? op.vector : op.raster;
      let n = 1;
      if (op.takes_n && this.n) {
        const text = String(this.n.value).trim();
        n = /^\d+$/.test(text) ? parseInt(text, 10) : NaN;
        if (!(n >= this.cat.n_min && n <= this.cat.n_max)) n = null;
      }
      const strong = (text) => el("strong", { text });
      if (n === null) {
        this.costText.replaceChildren(strong(`${per} API units`), ` an image (${usd(per)}); choose ${this.cat.n_min} to ${this.cat.n_max} images.`);
      } else {
        const units = per * n;
        const detail = op.takes_n ? `: ${n} image${n === 1 ? "" : "s"} × ${per}` : "";
        this.costText.replaceChildren("Costs ", strong(`${units} API units`), ` (${usd(units)})${detail}.`);
      }
    }

    // --- the picture picker -----------------------------------------------------

    buildPicker() {
      const field = this.style.closest(".field");
      this.thumb = el("img", { class: "style-thumb", alt: "", width: 40, height: 40, "data-testid": "style-thumb" });
      this.openButton = el("button", { type: "button", class: "style-browse", "aria-haspopup": "dialog", "data-testid": "style-browse" }, this.thumb, el("span", { text: "Browse styles with pictures" }));
      // A modal dialog: the browser keeps focus inside it and closes it on Esc.
      this.panel = el("dialog", { class: "style-picker", "aria-label": "Styles and substyles", "data-testid": "style-picker" });
      field.append(this.openButton);
      this.form.append(this.panel);
      this.openButton.addEventListener("click", () => this.toggle(true));
      this.panel.addEventListener("close", () => this.openButton.focus());
      this.panel.addEventListener("click", (e) => {
        if (e.target === this.panel) this.toggle(false); // a click on the backdrop
      });
    }

    get pickerOpen() {
      return this.panel.open;
    }

    toggle(open) {
      if (open && !this.panel.open) {
        this.panel.showModal();
        this.refreshPicker();
        const pressed = this.panel.querySelector("[aria-pressed=true]");
        if (pressed) pressed.focus();
      } else if (!open && this.panel.open) {
        this.panel.close();
      }
    }

    card(label, preview, pressed, onPick, testid) {
      const img = preview ? el("img", { src: preview, alt: "", loading: "lazy", width: 96, height: 96 }) : el("span", { class: "style-card-blank", text: label.slice(0, 2), "aria-hidden": "true" });
      const button = el("button", { type: "button", class: "style-card", "aria-pressed": String(pressed), "data-testid": testid }, img, el("span", { text: label }));
      button.addEventListener("click", onPick);
      return button;
    }

    refreshPicker() {
      const style = this.style.value;
      const sub = this.substyle ? this.substyle.value : "";
      const previews = this.cat.previews;
      const option = this.style.selectedOptions[0];
      const picture = option && option.dataset.preview ? option.dataset.preview : previews[sub ? `${style}/${sub}` : style] || "";
      this.thumb.hidden = !picture;
      if (picture) this.thumb.src = picture;
      if (!this.panel.open) return;

      const pick = (select, value) => () => {
        select.value = value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      };
      const styles = el("div", { class: "style-grid" });
      for (const o of this.style.querySelectorAll("option")) {
        if (o.value === "") continue;
        const preview = o.dataset.preview || previews[o.value] || "";
        styles.append(this.card(o.textContent, preview, o.value === style, pick(this.style, o.value), `style-card-${o.value}`));
      }
      const parts = [el("h3", { text: `Style on ${this.cat.models[this.currentModel()].label}` }), styles];
      if (this.substyle && !this.substyle.disabled) {
        const subs = el("div", { class: "style-grid" });
        for (const o of this.substyle.querySelectorAll("option")) {
          const preview = o.value ? previews[`${style}/${o.value}`] : previews[style];
          subs.append(this.card(o.textContent, preview, o.value === sub, pick(this.substyle, o.value), `substyle-card-${o.value || "none"}`));
        }
        parts.push(el("h3", { text: `Substyle of ${this.cat.style_labels[style] || "the style"}` }), subs);
      }
      const done = el("button", { type: "button", class: "primary", text: "Done", "data-testid": "style-done" });
      done.addEventListener("click", () => this.toggle(false));
      parts.push(el("p", { class: "style-picker-foot" }, el("small", { class: "muted", text: "Pictures show each look; a brand style shows its first reference." }), done));
      const focused = document.activeElement && this.panel.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
      this.panel.replaceChildren(...parts);
      if (focused) {
        const again = this.panel.querySelector(`[data-testid="${focused}"]`);
        if (again) again.focus();
      }
    }
  }

  /* Colours for one run: swatches that edit the colour fields, filled from a palette. */
  class ColourEditor {
    constructor(form) {
      this.form = form;
      this.colors = form.querySelector("input[name=colors]");
      this.background = form.querySelector("input[name=background_color]");
      this.palette = form.querySelector("select[name=palette]");
      if (!this.colors) return;
      this.list = el("div", { class: "colour-swatches", "data-testid": "colour-swatches" });
      this.add = el("button", { type: "button", class: "colour-add", text: "+ Colour", title: "Add a colour", "data-testid": "colour-add" });
      this.add.addEventListener("click", () => {
        const values = this.values();
        values.push("#808080");
        this.write(values);
      });
      this.colors.closest(".field").classList.add("is-enhanced");
      this.colors.before(el("div", { class: "colour-editor" }, this.list, this.add));
      this.colors.addEventListener("change", () => this.render());
      if (this.background) {
        this.bgPicker = el("input", { type: "color", class: "colour-bg", title: "Background colour", "aria-label": "Background colour picker", "data-testid": "background-picker" });
        this.bgPicker.addEventListener("input", () => {
          this.background.value = this.bgPicker.value;
          this.background.dispatchEvent(new Event("change", { bubbles: true }));
        });
        this.background.addEventListener("change", () => this.renderBackground());
        this.background.before(this.bgPicker);
        this.renderBackground();
      }
      if (this.palette) {
        this.palette.addEventListener("change", () => this.fromPalette());
        if (this.palette.value && !this.colors.value && !(this.background && this.background.value)) this.fromPalette();
      }
      this.render();
    }

    values() {
      return this.colors.value.split(/[\s;]+/).filter(Boolean);
    }

    write(values) {
      this.colors.value = values.join(" ");
      this.render();
      this.colors.dispatchEvent(new Event("input", { bubbles: true }));
    }

    fromPalette() {
      const option = this.palette.selectedOptions[0];
      this.colors.value = option && option.dataset.colors ? option.dataset.colors : "";
      if (this.background) {
        this.background.value = option && option.dataset.background ? option.dataset.background : "";
        this.renderBackground();
      }
      this.render();
    }

    render() {
      const values = this.values();
      this.list.replaceChildren(
        ...values.map((value, i) => {
          const hex = toHex(value) || "#000000";
          const picker = el("input", { type: "color", value: hex, title: value, "aria-label": `Colour ${i + 1}`, "data-testid": `colour-${i}` });
          picker.addEventListener("input", () => {
            const now = this.values();
            now[i] = picker.value;
            this.colors.value = now.join(" ");
          });
          picker.addEventListener("change", () => this.render());
          const remove = el("button", { type: "button", class: "colour-remove", text: "×", title: `Remove colour ${i + 1}`, "aria-label": `Remove colour ${i + 1}` });
          remove.addEventListener("click", () => this.write(values.filter((_, j) => j !== i)));
          return el("span", { class: "colour-chip" }, picker, remove);
        }),
      );
      this.add.hidden = values.length >= 12;
    }

    renderBackground() {
      const hex = toHex(this.background.value);
      this.bgPicker.value = hex || "#ffffff";
      this.bgPicker.classList.toggle("is-unset", !hex);
    }
  }

  const started = new WeakSet();
  function start(root) {
    if (!catalog()) return;
    const forms = root.matches && root.matches("form[data-composer]") ? [root] : [...root.querySelectorAll("form[data-composer]")];
    for (const form of forms) {
      if (started.has(form)) continue;
      started.add(form);
      form.composer = new Composer(form);
    }
  }

  document.addEventListener("htmx:load", (e) => start(e.target));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(document));
  else start(document);
  window.RecraftComposer = { usd };
})();
