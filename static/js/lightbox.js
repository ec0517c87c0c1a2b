/*
 * The lightbox: look through images without leaving the page, and reach the common
 * tools with one key. Also the keyboard of an image's own page (← →, tool keys).
 *
 * Any link `<a data-lightbox data-full=URL data-page=URL [data-download=URL]
 * [data-caption=TEXT] [data-edit]>` inside a `[data-lightbox-group]` opens here;
 * the group's links, in page order, are what ← and → walk through (read again at
 * every step, so "Load more" adds to it). Keys: ← → move, Esc closes, Enter opens
 * the image's page, D downloads, and the tools of `#lightbox-tools` (a JSON data
 * block: [{op, label, key}]) open with their key. Without script the links simply
 * open the image's page. No dependencies.
 */
(function () {
  "use strict";

  function tools() {
    const el = document.getElementById("lightbox-tools");
    return el ? JSON.parse(el.textContent) : [];
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function node(tag, attrs, text) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (text) el.textContent = text;
    return el;
  }

  class Lightbox {
    constructor() {
      this.root = node("div", { class: "lightbox", role: "dialog", "aria-modal": "true", "aria-label": "Image viewer", "data-testid": "lightbox", tabindex: "-1" });
      this.root.hidden = true;
      this.figure = node("figure", { class: "lightbox-figure checker" });
      this.img = node("img", { alt: "", "data-testid": "lightbox-image" });
      this.caption = node("figcaption", { class: "lightbox-caption", "data-testid": "lightbox-caption" });
      this.figure.append(this.img);
      this.counter = node("span", { class: "lightbox-counter", "data-testid": "lightbox-counter" });
      this.prev = node("button", { type: "button", class: "lightbox-prev", title: "Previous (←)", "aria-label": "Previous image", "data-testid": "lightbox-prev" }, "‹");
      this.next = node("button", { type: "button", class: "lightbox-next", title: "Next (→)", "aria-label": "Next image", "data-testid": "lightbox-next" }, "›");
      this.close = node("button", { type: "button", class: "lightbox-close", title: "Close (Esc)", "aria-label": "Close", "data-testid": "lightbox-close" }, "×");
      this.bar = node("div", { class: "lightbox-bar" });
      this.root.append(this.close, this.prev, this.figure, this.next, node("div", { class: "lightbox-foot" }));
      this.root.lastChild.append(this.counter, this.caption, this.bar);
      document.body.append(this.root);
      this.prev.addEventListener("click", () => this.step(-1));
      this.next.addEventListener("click", () => this.step(1));
      this.close.addEventListener("click", () => this.hide());
      this.root.addEventListener("click", (e) => {
        if (e.target === this.root || e.target === this.figure) this.hide();
      });
      this.touchStart = null;
      this.figure.addEventListener("touchstart", (e) => {
        this.touchStart = e.touches.length === 1 ? e.touches[0].clientX : null;
      }, { passive: true });
      this.figure.addEventListener("touchend", (e) => {
        if (this.touchStart === null) return;
        const dx = e.changedTouches[0].clientX - this.touchStart;
        if (Math.abs(dx) > 50) this.step(dx < 0 ? 1 : -1);
        this.touchStart = null;
      });
      this.tools = tools();
    }

    /* The group's links now: a job card swapped by polling, or "Load more", changes them. */
    items() {
      const group = this.groupName && document.querySelector(`[data-lightbox-group="${CSS.escape(this.groupName)}"]`);
      const items = group ? [...group.querySelectorAll("a[data-lightbox]")] : [];
      const same = items.find((a) => a.dataset.page === this.current.dataset.page);
      if (same) this.current = same;
      return same ? items : [this.current];
    }

    open(link) {
      const group = link.closest("[data-lightbox-group]");
      this.groupName = group ? group.dataset.lightboxGroup : "";
      this.opener = link;
      this.show(link);
      this.root.hidden = false;
      document.documentElement.classList.add("lightbox-open");
      this.root.focus();
    }

    show(link) {
      this.current = link;
      const items = this.items();
      const index = items.indexOf(this.current);
      this.img.src = link.dataset.full;
      this.img.alt = link.dataset.caption || "";
      this.caption.textContent = link.dataset.caption || "";
      this.counter.textContent = `${index + 1} of ${items.length}`;
      this.prev.disabled = index <= 0;
      this.next.disabled = index >= items.length - 1;
      const bar = [node("a", { href: link.dataset.page, class: "button", "data-testid": "lightbox-open-page", title: "Open the image's page (Enter)" }, "Open ↵")];
      if (link.dataset.download) bar.push(node("a", { href: link.dataset.download, class: "button", "data-testid": "lightbox-download", title: "Download (D)" }, "Download D"));
      if (link.dataset.edit) {
        for (const tool of this.tools) {
          const a = node("a", { href: this.toolUrl(link, tool.op), class: "button", "data-testid": `lightbox-tool-${tool.op}`, title: `${tool.label} (${tool.key.toUpperCase()})` });
          a.append(tool.label + " ", node("kbd", {}, tool.key.toUpperCase()));
          bar.push(a);
        }
      }
      this.bar.replaceChildren(...bar);
      // The neighbours load while this one is looked at.
      for (const near of [items[index - 1], items[index + 1]]) if (near) new Image().src = near.dataset.full;
    }

    toolUrl(link, op) {
      return new URL(`edit/${op}/`, new URL(link.dataset.page, location.href)).pathname;
    }

    step(delta) {
      const items = this.items();
      const index = items.indexOf(this.current) + delta;
      if (index >= 0 && index < items.length) this.show(items[index]);
    }

    hide() {
      this.root.hidden = true;
      this.img.removeAttribute("src");
      document.documentElement.classList.remove("lightbox-open");
      if (this.opener && document.contains(this.opener)) this.opener.focus();
    }

    get isOpen() {
      return !this.root.hidden;
    }

    onKey(e) {
      if (e.key === "Escape") this.hide();
      else if (e.key === "ArrowLeft") this.step(-1);
      else if (e.key === "ArrowRight") this.step(1);
      else if (e.key === "Enter" && !(e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement)) location.assign(this.current.dataset.page);
      else if (e.key.toLowerCase() === "d" && this.current.dataset.download) location.assign(this.current.dataset.download);
      else {
        const tool = this.current.dataset.edit && this.tools.find((t) => t.key === e.key.toLowerCase());
        if (!tool) return;
        location.assign(this.toolUrl(this.current, tool.op));
      }
      e.preventDefault();
    }
  }

  let box = null;

  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a[data-lightbox]");
    if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    box = box || new Lightbox();
    box.open(link);
  });

  document.addEventListener("keydown", (e) => {
    if (e.metaKey || e.ctrlKey || e.altKey) return;
    if (box && box.isOpen) {
      box.onKey(e);
      return;
    }
    if (typing(e.target)) return;
    // An image's page: ← → for the neighbours, a letter for a tool.
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const link = document.querySelector(`a[data-key-nav="${CSS.escape(key)}"]`);
    if (link) {
      e.preventDefault();
      location.assign(link.href);
    }
  });
})();
