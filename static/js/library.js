/*
 * The library's bit of script (no dependencies; loaded with `defer` on every page).
 *
 * - Multi-select: tick a tile's box; shift-click ticks the range since the last box;
 *   "Select all on this page" ticks every box shown. Once something is ticked, a click
 *   on a tile selects it instead of opening it (ctrl/cmd-click still opens). The bulk
 *   bar says how many are ticked. Boxes belong to #bulk-form through form="bulk-form",
 *   so the form sends them without script too.
 * - Collections: drag a tile onto another to put it just before that one.
 *
 * htmx swaps in new tiles ("Load more", a reload after an action); the handlers are
 * delegated from the document, so new tiles work without setup.
 */
(function () {
  "use strict";

  var BOX = "input[data-select-asset]";
  var last = null;

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll(BOX));
  }

  function update() {
    var ticked = boxes().filter(function (b) { return b.checked; }).length;
    document.querySelectorAll("[data-bulk-bar]").forEach(function (bar) {
      bar.classList.toggle("has-selection", ticked > 0);
      var count = bar.querySelector("[data-selected-count]");
      if (count) {
        count.textContent = ticked
          ? ticked + (ticked === 1 ? " image selected" : " images selected")
          : "Tick images to act on them";
      }
    });
    document.documentElement.classList.toggle("is-selecting", ticked > 0);
  }

  function tickRange(from, to, checked) {
    var all = boxes();
    var a = all.indexOf(from), b = all.indexOf(to);
    if (a < 0 || b < 0) return;
    var lo = Math.min(a, b), hi = Math.max(a, b);
    for (var i = lo; i <= hi; i++) all[i].checked = checked;
  }

  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest(BOX);
    if (box) {
      // The browser has already toggled the box; a shift-click extends its new state.
      if (event.shiftKey && last && last !== box && document.contains(last)) {
        tickRange(last, box, box.checked);
      }
      last = box;
      update();
      return;
    }
    var all = event.target.closest && event.target.closest("[data-select-all]");
    if (all) {
      event.preventDefault();
      boxes().forEach(function (b) { b.checked = true; });
      update();
      return;
    }
    var none = event.target.closest && event.target.closest("[data-select-none]");
    if (none) {
      event.preventDefault();
      boxes().forEach(function (b) { b.checked = false; });
      last = null;
      update();
      return;
    }
    // While selecting, a plain click on a tile selects it rather than opening it.
    var tile = event.target.closest && event.target.closest(".tile-wrap > a.tile");
    if (tile && document.documentElement.classList.contains("is-selecting") &&
        !event.ctrlKey && !event.metaKey && event.button === 0) {
      var own = tile.parentElement.querySelector(BOX);
      if (own) {
        event.preventDefault();
        own.checked = !own.checked;
        if (event.shiftKey && last && last !== own && document.contains(last)) {
          tickRange(last, own, own.checked);
        }
        last = own;
        update();
      }
    }
  }, true);  // capture: before other click handlers (the lightbox), which see defaultPrevented

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(BOX)) update();
  });
  document.addEventListener("htmx:afterSettle", update);
  document.addEventListener("DOMContentLoaded", update);

  // --- collections: drag one tile before another ------------------------------------------
  var dragged = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("li[data-move-url]");
    if (!item) return;
    dragged = item;
    item.classList.add("is-dragged");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.item);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragged");
    document.querySelectorAll(".drop-before").forEach(function (el) { el.classList.remove("drop-before"); });
    dragged = null;
  });

  document.addEventListener("dragover", function (event) {
    var over = dragged && event.target.closest && event.target.closest("li[data-move-url]");
    if (!over || over === dragged) return;
    event.preventDefault();
    document.querySelectorAll(".drop-before").forEach(function (el) { el.classList.remove("drop-before"); });
    over.classList.add("drop-before");
  });

  document.addEventListener("drop", function (event) {
    var target = dragged && event.target.closest && event.target.closest("li[data-move-url]");
    if (!target || target === dragged) return;
    event.preventDefault();
    var body = new URLSearchParams({ action: "before", before: target.dataset.item });
    target.parentNode.insertBefore(dragged, target);
    fetch(dragged.dataset.moveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      body: body,
      credentials: "same-origin"
    }).then(function () {
      document.body.dispatchEvent(new CustomEvent("assets-changed", { bubbles: true }));
    });
  });
})();
