/*
 * Before / after: an edit over the image it was made from, split at a handle that
 * follows the range input (keyboard), a drag or a touch anywhere on the picture.
 * Markup: <figure data-compare> with .compare-frame (.compare-before, .compare-after)
 * and <input type=range data-compare-range>. Without script the split stays at 50%.
 */
(function () {
  "use strict";

  function setup(figure) {
    const frame = figure.querySelector(".compare-frame");
    const range = figure.querySelector("[data-compare-range]");
    if (!frame || !range) return;
    figure.classList.add("is-enhanced");
    const apply = () => frame.style.setProperty("--split", `${range.value}%`);
    range.addEventListener("input", apply);
    let dragging = false;
    const follow = (e) => {
      const rect = frame.getBoundingClientRect();
      const x = Math.min(Math.max(e.clientX - rect.left, 0), rect.width);
      range.value = String(rect.width ? (100 * x) / rect.width : 50);
      apply();
    };
    frame.addEventListener("pointerdown", (e) => {
      dragging = true;
      try {
        frame.setPointerCapture(e.pointerId);
      } catch (err) {
        // An untracked pointer: following it inside the frame is enough.
      }
      follow(e);
    });
    frame.addEventListener("pointermove", (e) => dragging && follow(e));
    const stop = () => (dragging = false);
    frame.addEventListener("pointerup", stop);
    frame.addEventListener("pointercancel", stop);
    apply();
  }

  function start() {
    for (const figure of document.querySelectorAll("[data-compare]")) setup(figure);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
