/*
 * Mask painter: paint, over an image, the region a tool should change, and hand the
 * tool's form a mask the API accepts: an 8-bit grayscale PNG of exactly the image's
 * natural size, holding only 0 (keep) and 255 (change).
 *
 * Progressive enhancement: the form has a plain file input for the mask and works
 * without this script. With it, every change to the painting is exported to that
 * input as a file; a mask file chosen in the input is loaded into the painting.
 *
 * A canvas only exports RGBA, so the grayscale PNG is encoded here: IHDR/IDAT/IEND
 * chunks with a CRC32 table, the pixels zlib-compressed with CompressionStream
 * ("deflate" is the zlib format), or stored uncompressed where that API is missing.
 * No dependencies.
 *
 * Markup: <div data-mask-painter data-input="ID" data-width="W" data-height="H"
 *              [data-initial-mask="URL"]><img src="..."></div>
 */
(function () {
  "use strict";

  // --- PNG encoding -----------------------------------------------------------------

  const CRC_TABLE = (function () {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(bytes) {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  function adler32(bytes) {
    let a = 1;
    let b = 0;
    for (let i = 0; i < bytes.length; i += 4096) {
      const end = Math.min(i + 4096, bytes.length);
      for (let j = i; j < end; j++) {
        a += bytes[j];
        b += a;
      }
      a %= 65521;
      b %= 65521;
    }
    return ((b << 16) | a) >>> 0;
  }

  /* zlib without compression: valid everywhere, larger; used when CompressionStream is missing. */
  function zlibStored(data) {
    const blocks = Math.max(1, Math.ceil(data.length / 65535));
    const out = new Uint8Array(2 + data.length + blocks * 5 + 4);
    const view = new DataView(out.buffer);
    out[0] = 0x78;
    out[1] = 0x01;
    let o = 2;
    for (let i = 0; i < blocks; i++) {
      const start = i * 65535;
      const len = Math.min(65535, data.length - start);
      out[o] = i === blocks - 1 ? 1 : 0;
      view.setUint16(o + 1, len, true);
      view.setUint16(o + 3, ~len & 0xffff, true);
      out.set(data.subarray(start, start + len), o + 5);
      o += 5 + len;
    }
    view.setUint32(o, adler32(data));
    return out;
  }

  async function zlib(data) {
    if (typeof CompressionStream === "undefined") return zlibStored(data);
    const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  function pngChunk(type, data) {
    const chunk = new Uint8Array(12 + data.length);
    const view = new DataView(chunk.buffer);
    view.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) chunk[4 + i] = type.charCodeAt(i);
    chunk.set(data, 8);
    view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
    return chunk;
  }

  /** An 8-bit grayscale PNG (colour type 0) of `gray`, one byte per pixel. */
  async function encodeGrayPng(width, height, gray) {
    const stride = width + 1;
    const raw = new Uint8Array(stride * height); // each row: filter type 0, then pixels
    for (let y = 0; y < height; y++) raw.set(gray.subarray(y * width, (y + 1) * width), y * stride + 1);
    const header = new Uint8Array(13);
    const hv = new DataView(header.buffer);
    hv.setUint32(0, width);
    hv.setUint32(4, height);
    header[8] = 8; // bit depth
    header[9] = 0; // grayscale
    const parts = [
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk("IHDR", header),
      pngChunk("IDAT", await zlib(raw)),
      pngChunk("IEND", new Uint8Array(0)),
    ];
    return new Blob(parts, { type: "image/png" });
  }

  // --- the painter ------------------------------------------------------------------

  const PAINT = "rgb(255, 0, 170)";
  const HISTORY_LIMIT = 200;
  const painters = new Map(); // input id → painter

  function button(label, title, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.addEventListener("click", onClick);
    return b;
  }

  class MaskPainter {
    constructor(root) {
      this.root = root;
      this.inputId = root.dataset.input;
      this.width = parseInt(root.dataset.width, 10);
      this.height = parseInt(root.dataset.height, 10);
      this.img = root.querySelector("img");
      this.ops = []; // the painting as a list of operations, replayed for undo
      this.stroke = null;
      this.mode = "brush";
      this.pending = Promise.resolve();
      this.dirty = false;
      this.painted = false;

      this.canvas = document.createElement("canvas");
      this.canvas.width = this.width;
      this.canvas.height = this.height;
      this.canvas.className = "mask-canvas";
      this.canvas.setAttribute("aria-label", "Mask: paint over the region to change");
      this.canvas.dataset.testid = "mask-canvas";
      this.ctx = this.canvas.getContext("2d", { willReadFrequently: true });
      this.cursor = document.createElement("div");
      this.cursor.className = "mask-cursor";
      root.append(this.canvas, this.cursor);
      root.classList.add("is-enhanced");
      this.buildToolbar();
      this.bindPointer();
      this.bindInput();
      if (root.dataset.initialMask) this.loadUrl(root.dataset.initialMask);
    }

    get input() {
      return document.getElementById(this.inputId);
    }

    buildToolbar() {
      const bar = document.createElement("div");
      bar.className = "mask-toolbar";
      bar.setAttribute("role", "toolbar");
      bar.setAttribute("aria-label", "Mask painter");
      this.brushButton = button("Brush", "Paint the region to change (B)", () => this.setMode("brush"));
      this.eraserButton = button("Eraser", "Unpaint (E)", () => this.setMode("eraser"));
      this.brushButton.dataset.testid = "mask-brush";
      this.eraserButton.dataset.testid = "mask-eraser";
      const sizeLabel = document.createElement("label");
      sizeLabel.className = "mask-size";
      sizeLabel.textContent = "Size ";
      this.size = document.createElement("input");
      this.size.type = "range";
      this.size.min = "4";
      this.size.max = "200";
      this.size.value = "40";
      this.size.dataset.testid = "mask-size";
      sizeLabel.append(this.size);
      const undo = button("Undo", "Undo the last change (Ctrl+Z)", () => this.undo());
      const clear = button("Clear", "Unpaint everything", () => this.push({ type: "clear" }));
      const invert = button("Invert", "Swap painted and unpainted", () => this.push({ type: "invert" }));
      undo.dataset.testid = "mask-undo";
      clear.dataset.testid = "mask-clear";
      invert.dataset.testid = "mask-invert";
      this.status = document.createElement("span");
      this.status.className = "mask-status muted";
      this.status.setAttribute("aria-live", "polite");
      bar.append(this.brushButton, this.eraserButton, sizeLabel, undo, clear, invert, this.status);
      this.root.before(bar);
      this.setMode("brush");
      this.setStatus("Nothing painted yet.");
      this.size.addEventListener("input", () => this.updateCursorSize());
      this.root.addEventListener("keydown", (e) => this.onKey(e));
      this.canvas.tabIndex = 0;
    }

    setMode(mode) {
      this.mode = mode;
      this.brushButton.setAttribute("aria-pressed", String(mode === "brush"));
      this.eraserButton.setAttribute("aria-pressed", String(mode === "eraser"));
      this.root.dataset.mode = mode;
    }

    setStatus(text) {
      this.status.textContent = text;
    }

    onKey(e) {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
        e.preventDefault();
        this.undo();
      } else if (e.key === "b") this.setMode("brush");
      else if (e.key === "e") this.setMode("eraser");
    }

    /** Image pixels per CSS pixel: the canvas is shown at the image's displayed size. */
    scale() {
      const rect = this.canvas.getBoundingClientRect();
      return rect.width ? this.width / rect.width : 1;
    }

    point(e) {
      const rect = this.canvas.getBoundingClientRect();
      const s = this.scale();
      return [(e.clientX - rect.left) * s, (e.clientY - rect.top) * s];
    }

    updateCursorSize() {
      const px = parseInt(this.size.value, 10);
      this.cursor.style.width = this.cursor.style.height = px + "px";
    }

    bindPointer() {
      const c = this.canvas;
      this.updateCursorSize();
      c.addEventListener("pointerdown", (e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        try {
          c.setPointerCapture(e.pointerId); // keep the stroke when the pointer leaves the image
        } catch (err) {
          // A pointer the browser no longer tracks: the stroke still works inside the image.
        }
        this.stroke = {
          type: "stroke",
          mode: this.mode,
          size: parseInt(this.size.value, 10) * this.scale(),
          points: [this.point(e)],
        };
        this.redraw();
      });
      c.addEventListener("pointermove", (e) => {
        const rect = c.getBoundingClientRect();
        this.cursor.style.transform = `translate(${e.clientX - rect.left}px, ${e.clientY - rect.top}px) translate(-50%, -50%)`;
        if (!this.stroke) return;
        // Coalesced events give smooth strokes; some events (synthetic ones) have none.
        const coalesced = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
        for (const ev of coalesced.length ? coalesced : [e]) this.stroke.points.push(this.point(ev));
        this.drawStrokeTail(this.stroke);
      });
      const finish = () => {
        if (!this.stroke) return;
        const stroke = this.stroke;
        this.stroke = null;
        this.push(stroke);
      };
      c.addEventListener("pointerup", finish);
      c.addEventListener("pointercancel", finish);
      c.addEventListener("pointerenter", () => this.root.classList.add("is-hovered"));
      c.addEventListener("pointerleave", () => this.root.classList.remove("is-hovered"));
    }

    bindInput() {
      // A mask file chosen by hand is loaded into the painting (and exported back).
      document.addEventListener("change", (e) => {
        if (e.target.id !== this.inputId || !e.isTrusted) return;
        const file = e.target.files && e.target.files[0];
        if (!file) return;
        const url = URL.createObjectURL(file);
        this.loadUrl(url).finally(() => URL.revokeObjectURL(url));
      });
    }

    async loadUrl(url) {
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        const bitmap = await createImageBitmap(await response.blob());
        // Scale to the image's size; anything at least half white counts as painted.
        const tmp = document.createElement("canvas");
        tmp.width = this.width;
        tmp.height = this.height;
        const tctx = tmp.getContext("2d", { willReadFrequently: true });
        tctx.drawImage(bitmap, 0, 0, this.width, this.height);
        const pixels = tctx.getImageData(0, 0, this.width, this.height);
        const d = pixels.data;
        for (let i = 0; i < d.length; i += 4) {
          const on = d[i] * 0.299 + d[i + 1] * 0.587 + d[i + 2] * 0.114 >= 128 && d[i + 3] >= 128;
          d[i] = 255;
          d[i + 1] = 0;
          d[i + 2] = 170;
          d[i + 3] = on ? 255 : 0;
        }
        tctx.putImageData(pixels, 0, 0);
        this.push({ type: "load", canvas: tmp });
      } catch (err) {
        this.setStatus("That mask could not be read; paint one instead.");
      }
    }

    push(op) {
      this.ops.push(op);
      if (this.ops.length > HISTORY_LIMIT) {
        // Fold the oldest operations into one snapshot, so undo stays fast.
        const snap = document.createElement("canvas");
        snap.width = this.width;
        snap.height = this.height;
        this.redraw(this.ops.slice(0, -HISTORY_LIMIT + 1));
        snap.getContext("2d").drawImage(this.canvas, 0, 0);
        this.ops = [{ type: "load", canvas: snap }, ...this.ops.slice(-HISTORY_LIMIT + 1)];
      }
      this.changed();
    }

    undo() {
      if (!this.ops.length) return;
      this.ops.pop();
      this.changed();
    }

    changed() {
      this.redraw();
      this.dirty = true;
      this.pending = this.export();
    }

    applyStroke(ctx, stroke, from) {
      ctx.save();
      ctx.globalCompositeOperation = stroke.mode === "eraser" ? "destination-out" : "source-over";
      ctx.strokeStyle = ctx.fillStyle = PAINT;
      ctx.lineWidth = stroke.size;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      const pts = stroke.points;
      if (pts.length === 1 || from >= pts.length - 1) {
        const [x, y] = pts[pts.length - 1];
        ctx.beginPath();
        ctx.arc(x, y, stroke.size / 2, 0, Math.PI * 2);
        ctx.fill();
      } else {
        ctx.beginPath();
        ctx.moveTo(pts[from][0], pts[from][1]);
        for (let i = from + 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
        ctx.stroke();
      }
      ctx.restore();
    }

    drawStrokeTail(stroke) {
      this.applyStroke(this.ctx, stroke, Math.max(0, stroke.points.length - 2));
    }

    redraw(ops) {
      const ctx = this.ctx;
      ctx.clearRect(0, 0, this.width, this.height);
      for (const op of ops || this.ops) {
        if (op.type === "stroke") this.applyStroke(ctx, op, 0);
        else if (op.type === "clear") ctx.clearRect(0, 0, this.width, this.height);
        else if (op.type === "load") {
          ctx.clearRect(0, 0, this.width, this.height);
          ctx.drawImage(op.canvas, 0, 0);
        } else if (op.type === "invert") {
          ctx.save();
          ctx.globalCompositeOperation = "xor"; // painted ↔ unpainted
          ctx.fillStyle = PAINT;
          ctx.fillRect(0, 0, this.width, this.height);
          ctx.restore();
        }
      }
      if (!ops && this.stroke) this.applyStroke(ctx, this.stroke, 0);
    }

    /** The painting as the mask file of the form's input (or no file when nothing is painted). */
    async export() {
      const alpha = this.ctx.getImageData(0, 0, this.width, this.height).data;
      const gray = new Uint8Array(this.width * this.height);
      let white = 0;
      for (let i = 0; i < gray.length; i++) {
        // Antialiased edges are half transparent: threshold them, the API wants 0 or 255.
        if (alpha[i * 4 + 3] >= 128) {
          gray[i] = 255;
          white++;
        }
      }
      const input = this.input;
      const transfer = new DataTransfer();
      if (white) {
        const blob = await encodeGrayPng(this.width, this.height, gray);
        transfer.items.add(new File([blob], "mask.png", { type: "image/png" }));
      }
      if (input) input.files = transfer.files;
      const share = (100 * white) / gray.length;
      this.painted = white > 0;
      this.setStatus(white ? `Painted ${share < 1 ? share.toFixed(1) : Math.round(share)}% of the image.` : "Nothing painted yet.");
      this.dirty = false;
      this.root.dispatchEvent(new CustomEvent("mask-exported", { bubbles: true, detail: { white } }));
    }
  }

  // Exporting is asynchronous: a submit that comes while it runs waits for it, then
  // goes again, so the form (htmx or not) always sends the mask as painted.
  document.addEventListener(
    "submit",
    (e) => {
      const form = e.target;
      for (const painter of painters.values()) {
        const input = painter.input;
        if (!input || input.form !== form || !painter.dirty) continue;
        e.preventDefault();
        e.stopImmediatePropagation();
        const submitter = e.submitter;
        painter.pending.then(() => form.requestSubmit(submitter || undefined));
        return;
      }
    },
    true,
  );

  function start() {
    for (const root of document.querySelectorAll("[data-mask-painter]")) {
      if (painters.has(root.dataset.input)) continue;
      const begin = () => painters.set(root.dataset.input, new MaskPainter(root));
      const img = root.querySelector("img");
      if (img && !img.complete) img.addEventListener("load", begin, { once: true });
      else begin();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.RecraftMask = { encodeGrayPng, crc32 }; // for tests in the browser
})();
