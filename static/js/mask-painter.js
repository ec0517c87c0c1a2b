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
 * Tools: brush, rectangle and lasso (drag a shape: it is filled), each painting or,
 * with Erase on (E, or Alt held), unpainting; hand (H, or hold Space) pans. Zoom with
 * the buttons, + and − keys, Ctrl/⌘ + wheel or a pinch; 0 fits the image again. On a
 * touch screen one finger paints and two fingers pinch and pan.
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

  /* The four corners of the rectangle two opposite corners span. */
  function rectPoints([[x0, y0], [x1, y1] = [x0, y0]]) {
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
  }

  /* The area a polygon encloses (shoelace), to ignore a click that drew nothing. */
  function area(points) {
    let sum = 0;
    for (let i = 0; i < points.length; i++) {
      const [x0, y0] = points[i];
      const [x1, y1] = points[(i + 1) % points.length];
      sum += x0 * y1 - x1 * y0;
    }
    return Math.abs(sum) / 2;
  }

  function button(label, title, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.addEventListener("click", onClick);
    return b;
  }

  const ZOOM_MIN = 1;
  const ZOOM_MAX = 8;

  class MaskPainter {
    constructor(root) {
      this.root = root;
      this.inputId = root.dataset.input;
      this.width = parseInt(root.dataset.width, 10);
      this.height = parseInt(root.dataset.height, 10);
      this.img = root.querySelector("img");
      this.ops = []; // the painting as a list of operations, replayed for undo
      this.stroke = null;
      this.shape = null; // a rectangle or lasso being drawn
      this.tool = "brush";
      this.erase = false;
      this.pending = Promise.resolve();
      this.dirty = false;
      this.painted = false;
      this.zoom = 1;
      this.pan = [0, 0];
      this.pointers = new Map(); // touch pointers, for pinch and pan
      this.gesture = null;

      this.canvas = document.createElement("canvas");
      this.canvas.width = this.width;
      this.canvas.height = this.height;
      this.canvas.className = "mask-canvas";
      this.canvas.setAttribute("aria-label", "Mask: paint over the region to change");
      this.canvas.dataset.testid = "mask-canvas";
      this.ctx = this.canvas.getContext("2d", { willReadFrequently: true });
      this.cursor = document.createElement("div");
      this.cursor.className = "mask-cursor";
      this.outline = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      this.outline.setAttribute("class", "mask-outline");
      this.outline.setAttribute("viewBox", `0 0 ${this.width} ${this.height}`);
      this.outline.setAttribute("preserveAspectRatio", "none");
      this.outlinePath = document.createElementNS("http://www.w3.org/2000/svg", "path");
      this.outline.append(this.outlinePath);
      root.append(this.canvas, this.outline, this.cursor);
      // The painter zooms inside a viewport of its own size.
      this.viewport = document.createElement("div");
      this.viewport.className = "mask-viewport";
      root.before(this.viewport);
      this.viewport.append(root);
      root.classList.add("is-enhanced");
      this.buildToolbar();
      this.fitSize();
      this.bindPointer();
      this.bindZoom();
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
      this.toolButtons = {
        brush: button("Brush", "Paint freehand (B)", () => this.setTool("brush")),
        rect: button("Rectangle", "Drag a rectangle to fill (R)", () => this.setTool("rect")),
        lasso: button("Lasso", "Draw around an area to fill (L)", () => this.setTool("lasso")),
        hand: button("Hand", "Drag to move around a zoomed image (H, or hold Space)", () => this.setTool("hand")),
      };
      for (const [name, b] of Object.entries(this.toolButtons)) b.dataset.testid = `mask-${name}`;
      this.eraserButton = button("Erase", "Unpaint with the current tool (E, or hold Alt)", () => this.setErase(!this.erase));
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
      const zoomOut = button("−", "Zoom out (−)", () => this.zoomBy(1 / 1.5));
      const zoomIn = button("+", "Zoom in (+)", () => this.zoomBy(1.5));
      const fit = button("Fit", "Show the whole image (0)", () => this.setView(1, [0, 0]));
      zoomOut.dataset.testid = "mask-zoom-out";
      zoomIn.dataset.testid = "mask-zoom-in";
      fit.dataset.testid = "mask-zoom-fit";
      zoomOut.setAttribute("aria-label", "Zoom out");
      zoomIn.setAttribute("aria-label", "Zoom in");
      this.zoomLabel = document.createElement("span");
      this.zoomLabel.className = "mask-zoom muted";
      this.zoomLabel.dataset.testid = "mask-zoom";
      const group = (...items) => {
        const g = document.createElement("span");
        g.className = "mask-group";
        g.append(...items);
        return g;
      };
      this.status = document.createElement("span");
      this.status.className = "mask-status muted";
      this.status.setAttribute("aria-live", "polite");
      bar.append(
        group(...Object.values(this.toolButtons), this.eraserButton),
        group(sizeLabel),
        group(undo, clear, invert),
        group(zoomOut, this.zoomLabel, zoomIn, fit),
        this.status,
      );
      this.viewport.before(bar);
      this.setTool("brush");
      this.setErase(false);
      this.setStatus("Nothing painted yet.");
      this.size.addEventListener("input", () => this.updateCursorSize());
      this.root.addEventListener("keydown", (e) => this.onKey(e));
      this.root.addEventListener("keyup", (e) => {
        if (e.key === " " && this.spaceTool) {
          this.setTool(this.spaceTool);
          this.spaceTool = null;
        }
      });
      this.canvas.tabIndex = 0;
      this.updateZoomLabel();
    }

    setTool(tool) {
      this.tool = tool;
      for (const [name, b] of Object.entries(this.toolButtons)) b.setAttribute("aria-pressed", String(name === tool));
      this.root.dataset.tool = tool;
      this.root.dataset.mode = this.erase ? "eraser" : "brush";
    }

    setErase(on) {
      this.erase = on;
      this.eraserButton.setAttribute("aria-pressed", String(on));
      this.root.dataset.mode = on ? "eraser" : "brush";
    }

    /* The old name: "brush" paints, "eraser" unpaints, with the brush. */
    setMode(mode) {
      this.setTool("brush");
      this.setErase(mode === "eraser");
    }

    setStatus(text) {
      this.status.textContent = text;
    }

    onKey(e) {
      const key = e.key.toLowerCase();
      if ((e.ctrlKey || e.metaKey) && key === "z") {
        e.preventDefault();
        this.undo();
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (key === "b") this.setTool("brush");
      else if (key === "r") this.setTool("rect");
      else if (key === "l") this.setTool("lasso");
      else if (key === "h") this.setTool("hand");
      else if (key === "e") this.setErase(!this.erase);
      else if (key === "+" || key === "=") this.zoomBy(1.5);
      else if (key === "-") this.zoomBy(1 / 1.5);
      else if (key === "0") this.setView(1, [0, 0]);
      else if (key === " ") {
        if (!this.spaceTool && this.tool !== "hand") {
          this.spaceTool = this.tool;
          this.setTool("hand");
        }
      } else return;
      e.preventDefault();
    }

    /** Image pixels per CSS pixel on screen (the canvas is shown at the image's displayed size × zoom). */
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
      // The cursor lives inside the zoomed painter: divide, so it shows the brush as painted.
      const px = parseInt(this.size.value, 10) / this.zoom;
      this.cursor.style.width = this.cursor.style.height = px + "px";
    }

    // --- zoom and pan -----------------------------------------------------------------

    setView(zoom, pan) {
      this.zoom = Math.min(Math.max(zoom, ZOOM_MIN), ZOOM_MAX);
      const w = this.viewport.clientWidth;
      const h = this.viewport.clientHeight;
      // Keep the image covering the viewport: no empty band at an edge.
      const x = Math.min(0, Math.max(w - w * this.zoom, pan[0]));
      const y = Math.min(0, Math.max(h - h * this.zoom, pan[1]));
      this.pan = [x, y];
      this.root.style.transform = `translate(${x}px, ${y}px) scale(${this.zoom})`;
      this.viewport.classList.toggle("is-zoomed", this.zoom > 1);
      this.updateCursorSize();
      this.updateZoomLabel();
    }

    updateZoomLabel() {
      if (this.zoomLabel) this.zoomLabel.textContent = `${Math.round(this.zoom * 100)}%`;
    }

    /* Zoom by `factor`, keeping the point `at` (viewport px; the centre by default) in place. */
    zoomBy(factor, at) {
      const w = this.viewport.clientWidth;
      const h = this.viewport.clientHeight;
      const [px, py] = at || [w / 2, h / 2];
      const next = Math.min(Math.max(this.zoom * factor, ZOOM_MIN), ZOOM_MAX);
      const k = next / this.zoom;
      this.setView(next, [px - (px - this.pan[0]) * k, py - (py - this.pan[1]) * k]);
    }

    viewportPoint(e) {
      const r = this.viewport.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    }

    /* Show the image as large as the page allows (never larger than it is): an explicit
       size, since a zoomable box cannot take its width from the image inside it. */
    fitSize() {
      const holder = this.viewport.parentElement;
      const style = getComputedStyle(holder);
      const room = holder.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const tall = window.innerHeight * 0.75;
      const k = Math.min(1, room / this.width, tall / this.height);
      this.root.style.width = `${Math.max(1, Math.floor(this.width * k))}px`;
    }

    bindZoom() {
      this.viewport.addEventListener(
        "wheel",
        (e) => {
          if (e.ctrlKey || e.metaKey) {
            e.preventDefault();
            this.zoomBy(Math.exp(-e.deltaY / 300), this.viewportPoint(e));
          } else if (this.zoom > 1) {
            e.preventDefault();
            this.setView(this.zoom, [this.pan[0] - e.deltaX, this.pan[1] - e.deltaY]);
          }
        },
        { passive: false },
      );
      window.addEventListener("resize", () => {
        this.fitSize();
        this.setView(this.zoom, this.pan);
      });
    }

    // --- pointers -------------------------------------------------------------------

    bindPointer() {
      const c = this.canvas;
      this.updateCursorSize();
      c.addEventListener("pointerdown", (e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        if (e.pointerType === "touch") {
          this.pointers.set(e.pointerId, this.viewportPoint(e));
          if (this.pointers.size === 2) {
            // A second finger: pinch and pan; the first finger's stroke is dropped.
            this.stroke = null;
            this.shape = null;
            this.gesture = this.gestureStart();
            this.redraw();
            this.drawOutline();
            return;
          }
          if (this.pointers.size > 2) return;
        }
        try {
          c.setPointerCapture(e.pointerId); // keep the stroke when the pointer leaves the image
        } catch (err) {
          // A pointer the browser no longer tracks: the stroke still works inside the image.
        }
        const mode = this.erase || e.altKey ? "eraser" : "brush";
        if (this.tool === "hand") {
          this.dragStart = { at: this.viewportPoint(e), pan: [...this.pan] };
        } else if (this.tool === "brush") {
          this.stroke = {
            type: "stroke",
            mode,
            size: parseInt(this.size.value, 10) * this.scale(),
            points: [this.point(e)],
          };
          this.redraw();
        } else {
          this.shape = { type: "shape", tool: this.tool, mode, points: [this.point(e)] };
        }
      });
      c.addEventListener("pointermove", (e) => {
        const rect = c.getBoundingClientRect();
        const z = this.zoom;
        this.cursor.style.transform = `translate(${(e.clientX - rect.left) / z}px, ${(e.clientY - rect.top) / z}px) translate(-50%, -50%)`;
        if (e.pointerType === "touch" && this.pointers.has(e.pointerId)) {
          this.pointers.set(e.pointerId, this.viewportPoint(e));
          if (this.gesture) {
            this.gestureMove();
            return;
          }
        }
        if (this.dragStart) {
          const [x, y] = this.viewportPoint(e);
          const { at, pan } = this.dragStart;
          this.setView(this.zoom, [pan[0] + x - at[0], pan[1] + y - at[1]]);
          return;
        }
        if (this.shape) {
          const p = this.point(e);
          if (this.shape.tool === "rect") this.shape.points = [this.shape.points[0], p];
          else this.shape.points.push(p);
          this.drawOutline();
          return;
        }
        if (!this.stroke) return;
        // Coalesced events give smooth strokes; some events (synthetic ones) have none.
        const coalesced = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
        for (const ev of coalesced.length ? coalesced : [e]) this.stroke.points.push(this.point(ev));
        this.drawStrokeTail(this.stroke);
      });
      const finish = (e) => {
        if (e && e.pointerType === "touch") {
          this.pointers.delete(e.pointerId);
          if (this.gesture) {
            if (this.pointers.size === 0) this.gesture = null;
            return;
          }
        }
        this.dragStart = null;
        if (this.shape) {
          const shape = this.shape;
          this.shape = null;
          this.drawOutline();
          const points = shape.tool === "rect" ? rectPoints(shape.points) : shape.points;
          if (points.length >= 3 && area(points) >= 4) this.push({ type: "shape", mode: shape.mode, points });
          return;
        }
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

    gestureStart() {
      const [a, b] = [...this.pointers.values()];
      return { distance: Math.hypot(b[0] - a[0], b[1] - a[1]) || 1, mid: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2], zoom: this.zoom, pan: [...this.pan] };
    }

    gestureMove() {
      const [a, b] = [...this.pointers.values()];
      const g = this.gesture;
      const distance = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
      const mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      const zoom = Math.min(Math.max((g.zoom * distance) / g.distance, ZOOM_MIN), ZOOM_MAX);
      const k = zoom / g.zoom;
      // The image point under the fingers' first midpoint follows the midpoint.
      this.setView(zoom, [mid[0] - (g.mid[0] - g.pan[0]) * k, mid[1] - (g.mid[1] - g.pan[1]) * k]);
    }

    /* The rectangle or lasso being drawn, as a dashed outline over the painting. */
    drawOutline() {
      const shape = this.shape;
      if (!shape) {
        this.outlinePath.setAttribute("d", "");
        return;
      }
      const points = shape.tool === "rect" ? rectPoints(shape.points) : shape.points;
      const d = points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`).join(" ");
      this.outlinePath.setAttribute("d", points.length > 1 ? d + " Z" : "");
      this.outlinePath.setAttribute("stroke-width", String(2 * this.scale()));
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

    applyShape(ctx, shape) {
      ctx.save();
      ctx.globalCompositeOperation = shape.mode === "eraser" ? "destination-out" : "source-over";
      ctx.fillStyle = PAINT;
      ctx.beginPath();
      shape.points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fill();
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
        else if (op.type === "shape") this.applyShape(ctx, op);
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
