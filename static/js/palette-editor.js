// Keep each colour's picker and text box in step. Without this script the form
// still works: the server takes whichever of the two was changed.
(function () {
  function hex(text) {
    var value = text.trim(), m = value.match(/^#?([0-9a-f]{3}|[0-9a-f]{6})$/i);
    if (m) {
      var h = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
      return "#" + h.toLowerCase();
    }
    m = value.match(/^(?:rgb)?\(?\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*\)?$/i);
    if (m && [m[1], m[2], m[3]].every(function (c) { return +c <= 255; })) {
      return "#" + [m[1], m[2], m[3]].map(function (c) { return (+c).toString(16).padStart(2, "0"); }).join("");
    }
    return null;
  }
  document.addEventListener("input", function (event) {
    var row = event.target.closest("[data-color-row]");
    if (!row) return;
    var picker = row.querySelector("input[type=color]"), text = row.querySelector("input[type=text]");
    if (event.target === picker) {
      text.value = picker.value;
    } else if (event.target === text && hex(text.value)) {
      picker.value = hex(text.value);
    }
  });
})();
