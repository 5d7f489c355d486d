// flowbook's widget view: a flow laid out once by Graphviz, recoloured by its run's states,
// with a toolbar, a timeline and the selected task's panel. An anywidget ES module (no build,
// no network). Python decides every colour, word and action; this module shows the traits it
// is given and sends back clicks (the contract "flowbook widget v4": v2, the What-if mode,
// `what_if` and `outcomes`, whose clicks on tasks are {type: "what_if", task} messages, and
// stale tasks: a node entry's `stale`, {why, text, outline, dash, gap, width} or null, drawn
// as a dashed ring around the node, and the legend's ["stale", outline, "stale", ""] entry).

const SVG_NS = "http://www.w3.org/2000/svg";
const NATURAL = 4 / 3; // px per Graphviz point: the drawing at 100 %
const ZOOM_STEP = 1.25;
const READABLE = 0.35; // fitting a tall graph to the height stops here (then it scrolls)
const DRAG_PX = 4; // a press that moves further than this pans instead of clicking
const DASHES = { dashed: "5,3", dotted: "1.5,3" };
const NOT_CONNECTED = "This widget is not connected to a running kernel: re-run the cell";

// ---------------------------------------------------------------- small DOM and text helpers

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function swatch(fill, border = "solid") {
  return h("span", { class: `fb-swatch fb-border-${border}`, style: `background:${fill}` });
}

/** A stale task's ring in small: a dashed outline in `outline`, no fill. */
function ringSwatch(outline) {
  return h("span", { class: "fb-swatch fb-stale-swatch", style: `border-color:${outline}` });
}

/** "0.42 s", "12.3 s", "1 min 3 s", "2 h 5 min"; "" when unknown. */
export function formatDuration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return "";
  // The same rules as Python's explain.duration_text.
  if (seconds < 0.00005) return "< 0.1 ms";
  if (seconds < 0.01) return `${(seconds * 1000).toFixed(1)} ms`;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

/** "92 ✓ 8 ✗": a mapped task's children per state, by the state's icon (or its name). */
export function countsLabel(children, iconOf) {
  return children.counts
    .filter(([, n]) => n > 0)
    .map(([state, n, , icon]) => `${n} ${icon || iconOf(state) || state}`)
    .join(" ");
}

/** A CSS-safe class for a state name ("not run" -> "fb-state-not-run"). */
function stateClass(state) {
  return `fb-state-${String(state || "none").replace(/[^A-Za-z0-9_-]+/g, "-")}`;
}

// ---------------------------------------------------------------- the drawing's node index

/** The box around a Graphviz shape, read from its attributes: no layout, works while hidden. */
function shapeBox(shape) {
  if (shape.tagName === "ellipse") {
    const [cx, cy, rx, ry] = ["cx", "cy", "rx", "ry"].map((a) => +shape.getAttribute(a));
    return { x: cx - rx, y: cy - ry, w: 2 * rx, h: 2 * ry, round: true };
  }
  const numbers = (shape.getAttribute("points") || shape.getAttribute("d") || "")
    .match(/-?[\d.]+(e-?\d+)?/g) || [];
  const xs = numbers.filter((_, i) => i % 2 === 0).map(Number);
  const ys = numbers.filter((_, i) => i % 2 === 1).map(Number);
  const x = Math.min(...xs), y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y, round: false };
}

/** The box around several shapes (a reference task's second border is outside its first). */
function outerBox(shapes) {
  const boxes = shapes.map(shapeBox);
  const x = Math.min(...boxes.map((b) => b.x)), y = Math.min(...boxes.map((b) => b.y));
  const w = Math.max(...boxes.map((b) => b.x + b.w)) - x;
  const h = Math.max(...boxes.map((b) => b.y + b.h)) - y;
  return { x, y, w, h, round: boxes.some((b) => b.round) };
}

/** name -> node record, built once per svg. A record's `key` is the entry last painted. */
function indexNodes(svg) {
  const index = new Map();
  svg.querySelector(":scope > title, :scope > g > title")?.remove(); // Graphviz's "%3"
  for (const g of svg.querySelectorAll("g.node")) {
    const title = g.querySelector(":scope > title");
    if (!title) continue;
    const name = title.textContent;
    title.remove(); // the HTML tooltip says more; the browser's own would show over it
    const shapes = [...g.querySelectorAll(":scope > ellipse, :scope > polygon, :scope > path")];
    const filled = shapes.filter((s) => s.getAttribute("fill") !== "none");
    const texts = [...g.querySelectorAll(":scope > text")];
    shapes.forEach((s) => s.classList.add("fb-shape"));
    g.dataset.task = name;
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", name);
    index.set(name, {
      name, g, shapes, filled, texts,
      box: shapeBox(filled[0] || shapes[0]), outer: outerBox(shapes),
      drawn: { fill: filled[0]?.getAttribute("fill"), text: texts[0]?.getAttribute("fill") },
      key: "", painted: {}, badge: null, bar: null, mark: null, ring: null, // shown, extras
    });
  }
  return index;
}

// ---------------------------------------------------------------- recolouring one node

/** Write what differs between `entry` and `was` (the entry the node shows): few DOM writes,
 * so the browser restyles little. */
function paintNode(node, entry, was, iconOf) {
  if (entry.fill !== was.fill) node.filled.forEach((el) => el.setAttribute("fill", entry.fill));
  if (entry.text !== was.text) node.texts.forEach((el) => el.setAttribute("fill", entry.text));
  if (entry.border !== was.border) {
    for (const shape of node.shapes) {
      setOrRemove(shape, "stroke-dasharray", DASHES[entry.border]);
      setOrRemove(shape, "stroke-width", entry.border === "bold" ? "2.5" : null);
    }
  }
  const staleChanged = JSON.stringify(entry.stale) !== JSON.stringify(was.stale);
  if (entry.state !== was.state || JSON.stringify(entry.set) !== JSON.stringify(was.set)
      || staleChanged) {
    node.g.classList.remove(stateClass(was.state));
    node.g.classList.add(stateClass(entry.state));
    node.g.setAttribute("aria-label", ariaLabel(node.name, entry));
    paintSet(node, entry);
  }
  if (staleChanged) paintStale(node, entry);
  if (entry.icon !== was.icon || entry.fill !== was.fill || entry.text !== was.text) {
    paintBadge(node, entry);
  }
  if (JSON.stringify(entry.children) !== JSON.stringify(was.children) || entry.text !== was.text) {
    paintBar(node, entry, iconOf);
  }
}

/** "load: Failed", "load: Failed (what if: set to Failed)", "clean: Success, stale (edited)". */
function ariaLabel(name, entry) {
  if (!entry.state) return name;
  const set = entry.set ? ` (what if: set to ${entry.set})` : "";
  const stale = entry.stale ? `, stale (${entry.stale.why})` : "";
  return `${name}: ${entry.state}${set}${stale}`;
}

function setOrRemove(el, attr, value) {
  if (value == null) el.removeAttribute(attr);
  else el.setAttribute(attr, value);
}

/** The state's glyph in a small disc on the shape's top-right edge, made once per node. */
function paintBadge(node, entry) {
  if (!entry.icon && !node.badge) return;
  if (!node.badge) {
    const { x, y, w, h, round } = node.box;
    const corner = round ? Math.SQRT1_2 : 1; // an ellipse's edge at 45°, a box's corner
    const cx = x + w / 2 + (w / 2) * corner - (round ? 0 : 3);
    const cy = y + h / 2 - (h / 2) * corner + (round ? 0 : 3);
    const disc = svgEl("circle", { r: "6.5", class: "fb-badge-disc" });
    const glyph = svgEl("text", { y: "3.2", "text-anchor": "middle", "font-size": "9" });
    node.badge = svgEl("g", { class: "fb-badge", transform: `translate(${cx} ${cy})` });
    node.badge.append(disc, glyph);
    node.g.append(node.badge);
  }
  const [disc, glyph] = node.badge.children;
  disc.setAttribute("fill", entry.fill);
  glyph.setAttribute("fill", entry.text);
  if (glyph.textContent !== (entry.icon || "")) glyph.textContent = entry.icon || "";
  node.badge.setAttribute("visibility", entry.icon ? "visible" : "hidden");
}

/** The What-if mark of a task whose outcome was set by hand: an "if" tag on the shape's
 * top-left edge, made once per node. */
function paintSet(node, entry) {
  node.g.classList.toggle("fb-set", Boolean(entry.set));
  if (!entry.set && !node.mark) return;
  if (!node.mark) {
    const { x, y, w, h, round } = node.box;
    const corner = round ? Math.SQRT1_2 : 1;
    const cx = x + w / 2 - (w / 2) * corner + (round ? 0 : 3);
    const cy = y + h / 2 - (h / 2) * corner + (round ? 0 : 3);
    const tag = svgEl("rect", { x: "-8", y: "-6", width: "16", height: "12", rx: "3",
      class: "fb-set-tag" });
    const text = svgEl("text", { y: "3", "text-anchor": "middle", "font-size": "8",
      class: "fb-set-text" });
    text.textContent = "if";
    node.mark = svgEl("g", { class: "fb-set-mark", transform: `translate(${cx} ${cy})` });
    node.mark.append(tag, text);
    node.g.append(node.mark);
  }
  node.mark.setAttribute("visibility", entry.set ? "visible" : "hidden");
}

/** A stale task's dashed ring, `gap` points around its shapes, under them; made once per node. */
function paintStale(node, entry) {
  const stale = entry.stale;
  node.g.classList.toggle("fb-stale", Boolean(stale));
  if (!stale && !node.ring) return;
  if (!node.ring) {
    node.ring = svgEl(node.outer.round ? "ellipse" : "rect", { class: "fb-stale-ring", fill: "none" });
    node.g.insertBefore(node.ring, node.g.firstChild);
  }
  if (stale) {
    const { x, y, w, h, round } = node.outer, gap = stale.gap;
    const at = round ? { cx: x + w / 2, cy: y + h / 2, rx: w / 2 + gap, ry: h / 2 + gap }
      : { x: x - gap, y: y - gap, width: w + 2 * gap, height: h + 2 * gap, rx: gap };
    for (const [key, value] of Object.entries({ ...at, stroke: stale.outline,
      "stroke-width": stale.width, "stroke-dasharray": stale.dash })) {
      node.ring.setAttribute(key, value);
    }
  }
  node.ring.setAttribute("visibility", stale ? "visible" : "hidden");
}

/** A mapped task's children as a stacked bar along the bottom of its box, with their counts. */
function paintBar(node, entry, iconOf) {
  const children = entry.children;
  if (!children) {
    node.bar?.remove();
    node.bar = null;
    return;
  }
  if (!node.bar) node.bar = node.g.appendChild(svgEl("g", { class: "fb-bar" }));
  const { x, y, w, h } = node.box;
  // Under the task's own (centred) label: Python gives mapped boxes room for it.
  const left = x + 6, width = Math.max(w - 12, 4), top = y + h - 7;
  const total = children.total || children.counts.reduce((sum, [, n]) => sum + n, 0) || 1;
  const parts = [svgEl("rect", { class: "fb-bar-track", x: left, y: top, width, height: 4 })];
  let at = left;
  for (const [state, n, fill] of children.counts) {
    const part = (width * n) / total;
    parts.push(svgEl("rect", { x: at, y: top, width: part, height: 4, fill, "data-state": state }));
    at += part;
  }
  const label = svgEl("text", { class: "fb-bar-label", x: x + w / 2, y: top - 2,
    "text-anchor": "middle", "font-size": "8", fill: entry.text });
  label.textContent = countsLabel(children, iconOf);
  parts.push(label);
  node.bar.replaceChildren(...parts);
}

/** What an entry that vanished from `nodes` goes back to: the drawing's own colours. */
function drawnEntry(node) {
  return { state: "", fill: node.drawn.fill, text: node.drawn.text, border: "solid", icon: "" };
}

// ---------------------------------------------------------------- the graph: svg, zoom, pan

/** The drawing in a scrollable viewport: insert it, recolour it, zoom it, select in it. */
class Graph {
  constructor(ctx) {
    this.ctx = ctx;
    this.element = h("div", { class: "fb-viewport" }); // the scrolling box; the svg inside
    this.svg = null; // the <svg> shown, null when there is no drawing
    this.index = new Map(); // task name -> node record (indexNodes) of this svg
    this.size = { w: 0, h: 0 }; // the drawing's size in Graphviz points
    this.scale = NATURAL; // px per point
    this.fitted = true; // no zoom by the user since the last fit: refit when resized
    this.selected = null; // the node record outlined
    listenPointer(ctx, this.element, (...args) => this.zoom(...args));
    this.resize = new ResizeObserver(() => this.fitted && this.fit());
    this.resize.observe(this.element);
  }

  setSvg(text) {
    Object.assign(this, { svg: null, index: new Map(), selected: null });
    this.element.replaceChildren();
    if (!text) return;
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    if (doc.querySelector("parsererror") || doc.documentElement.tagName !== "svg") return;
    const svg = document.importNode(doc.documentElement, true);
    const box = svg.viewBox.baseVal;
    this.size = box && box.width ? { w: box.width, h: box.height }
      : { w: parseFloat(svg.getAttribute("width")), h: parseFloat(svg.getAttribute("height")) };
    this.svg = svg;
    this.index = indexNodes(svg);
    this.element.append(svg);
    if (this.fitted) this.fit(); else this.applyScale();
  }

  /** Paint the entries of `nodes` that differ from what each node shows. */
  recolour(nodes) {
    for (const [name, node] of this.index) {
      const entry = nodes[name] || drawnEntry(node);
      const key = JSON.stringify(entry);
      if (key === node.key) continue;
      paintNode(node, entry, node.painted, this.ctx.iconOf);
      node.key = key;
      node.painted = entry;
    }
  }

  applyScale() {
    if (!this.svg) return;
    this.svg.style.width = `${this.size.w * this.scale}px`;
    this.svg.style.height = `${this.size.h * this.scale}px`;
    this.element.dataset.zoom = String(Math.round((this.scale / NATURAL) * 100));
  }

  /** Scale so the drawing is as wide as the output at most, and as tall as the viewport
   * unless that would make it unreadable (then it scrolls). Never larger than 100 %. */
  fit() {
    const viewport = this.element;
    this.fitted = true;
    viewport.style.height = "";
    if (!this.svg || !viewport.clientWidth) return; // hidden: the ResizeObserver calls again
    const maxHeight = parseFloat(getComputedStyle(viewport).maxHeight) || Infinity;
    const byHeight = Math.max(maxHeight / this.size.h, NATURAL * READABLE);
    this.scale = Math.min(NATURAL, viewport.clientWidth / this.size.w, byHeight);
    this.applyScale();
  }

  /** Zoom by `factor` keeping the drawing's point under (px, py) (viewport px) in place. */
  zoom(factor, px = this.element.clientWidth / 2, py = this.element.clientHeight / 2) {
    const viewport = this.element;
    if (!this.svg) return;
    this.fitted = false;
    // The output keeps its height while zooming (the cells below stay put, the point under
    // the pointer stays under it); the viewport's resize handle gives it more.
    viewport.style.height = `${viewport.offsetHeight}px`;
    const before = this.svgOffset();
    const ux = (viewport.scrollLeft + px - before.x) / this.scale;
    const uy = (viewport.scrollTop + py - before.y) / this.scale;
    this.scale = Math.min(Math.max(this.scale * factor, NATURAL * 0.02), NATURAL * 8);
    this.applyScale();
    const after = this.svgOffset(); // a drawing narrower than the viewport is centred in it
    viewport.scrollLeft = ux * this.scale + after.x - px;
    viewport.scrollTop = uy * this.scale + after.y - py;
  }

  /** Where the svg starts in the viewport's scrolled content (SVG has no offsetLeft). */
  svgOffset() {
    const viewport = this.element;
    const outer = viewport.getBoundingClientRect(), inner = this.svg.getBoundingClientRect();
    return { x: inner.left - outer.left - viewport.clientLeft + viewport.scrollLeft,
      y: inner.top - outer.top - viewport.clientTop + viewport.scrollTop };
  }

  /** Outline the node `name`; `reveal`: "center" it, or "reveal" it when out of view. */
  showSelected(name, reveal) {
    this.selected?.g.classList.remove("fb-selected");
    this.selected?.g.removeAttribute("aria-pressed");
    this.selected = this.index.get(name) || null;
    if (!this.selected) return;
    this.selected.g.classList.add("fb-selected");
    this.selected.g.setAttribute("aria-pressed", "true");
    if (reveal === "center" || (reveal && !this.inView(this.selected))) this.center(this.selected);
  }

  inView(node) {
    const outer = this.element.getBoundingClientRect(), rect = node.g.getBoundingClientRect();
    return rect.left >= outer.left && rect.right <= outer.right
      && rect.top >= outer.top && rect.bottom <= outer.bottom;
  }

  /** Scroll the viewport (never the page) so the node is in its middle. */
  center(node) {
    const viewport = this.element;
    const outer = viewport.getBoundingClientRect(), rect = node.g.getBoundingClientRect();
    viewport.scrollLeft += rect.left + rect.width / 2 - (outer.left + viewport.clientWidth / 2);
    viewport.scrollTop += rect.top + rect.height / 2 - (outer.top + viewport.clientHeight / 2);
  }

  /** Mark the nodes whose name contains `query`; returns their names in drawing order. */
  highlight(query) {
    const wanted = query.trim().toLowerCase();
    const matches = [];
    for (const [name, node] of this.index) {
      const hit = wanted !== "" && name.toLowerCase().includes(wanted);
      node.g.classList.toggle("fb-match", hit);
      if (hit) matches.push(name);
    }
    this.element.classList.toggle("fb-searching", wanted !== "");
    return matches;
  }

  destroy() {
    this.resize.disconnect();
  }
}

/** Click/Enter/Space select, hover shows the tooltip, drag pans, ctrl/⌘+wheel zooms. */
function listenPointer(ctx, viewport, zoom) {
  const nodeOf = (event) => event.target.closest?.("g.node[data-task]");
  let drag = null, dragged = false;

  viewport.addEventListener("click", (event) => {
    if (dragged) return event.stopPropagation(); // the end of a pan is not a click
    const g = nodeOf(event);
    if (g) ctx.pick(g.dataset.task);
  });
  viewport.addEventListener("keydown", (event) => {
    const g = nodeOf(event);
    if (!g || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault(); // Space would scroll the notebook
    ctx.pick(g.dataset.task);
  });
  viewport.addEventListener("pointerover", (event) => {
    const g = nodeOf(event);
    if (g) ctx.tooltip.show(g.dataset.task, event.clientX, event.clientY);
  });
  viewport.addEventListener("pointerout", (event) => {
    if (nodeOf(event) && !nodeOf({ target: event.relatedTarget || viewport })) ctx.tooltip.hide();
  });
  viewport.addEventListener("focusin", (event) => {
    const g = nodeOf(event);
    if (!g) return;
    const rect = g.getBoundingClientRect();
    ctx.tooltip.show(g.dataset.task, rect.right, rect.bottom);
  });
  viewport.addEventListener("focusout", () => ctx.tooltip.hide());

  viewport.addEventListener("pointerdown", (event) => {
    dragged = false;
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft,
      top: viewport.scrollTop, id: event.pointerId };
  });
  viewport.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!dragged && Math.hypot(dx, dy) < DRAG_PX) return;
    if (!dragged) viewport.setPointerCapture(drag.id); // only now: a click keeps its target
    dragged = true;
    viewport.classList.add("fb-panning");
    ctx.tooltip.hide();
    viewport.scrollLeft = drag.left - dx;
    viewport.scrollTop = drag.top - dy;
  });
  const endDrag = () => {
    drag = null;
    viewport.classList.remove("fb-panning");
  };
  viewport.addEventListener("pointerup", endDrag);
  viewport.addEventListener("pointercancel", endDrag);
  viewport.addEventListener("wheel", (event) => {
    if (!event.ctrlKey && !event.metaKey) return; // a plain wheel scrolls the notebook
    event.preventDefault();
    const rect = viewport.getBoundingClientRect();
    zoom(Math.exp(-event.deltaY * 0.002), event.clientX - rect.left - viewport.clientLeft,
      event.clientY - rect.top - viewport.clientTop);
  }, { passive: false });
}

// ---------------------------------------------------------------- tooltip

function createTooltip(ctx, root) {
  const tip = h("div", { class: "fb-tooltip", role: "tooltip", hidden: "" });
  let at = null; // [name, clientX, clientY] of the tooltip shown

  function show(name, clientX, clientY) {
    at = [name, clientX, clientY];
    const entry = ctx.model.get("nodes")?.[name] || {};
    const lines = [h("strong", { text: name })];
    if (entry.state) lines.push(h("div", {}, swatch(entry.fill, entry.border), ` ${entry.state}`));
    if (entry.set) lines.push(h("div", { class: "fb-tip-set", text: `what if: set to ${entry.set}` }));
    if (entry.stale) {
      lines.push(h("div", { class: "fb-tip-stale" }, ringSwatch(entry.stale.outline),
        ` ${entry.stale.text}`));
    }
    if (entry.message) lines.push(h("div", { class: "fb-tip-message", text: entry.message }));
    const took = formatDuration(entry.duration);
    if (took) lines.push(h("div", { text: `took ${took}` }));
    if (entry.children) lines.push(childrenLines(entry.children));
    tip.replaceChildren(...lines);
    tip.hidden = false;
    const area = root.getBoundingClientRect();
    const left = Math.min(clientX - area.left + 12, Math.max(area.width - tip.offsetWidth, 0));
    tip.style.left = `${Math.max(left, 0)}px`;
    tip.style.top = `${clientY - area.top + 14}px`;
  }

  function childrenLines(children) {
    return h("div", { class: "fb-tip-children" },
      `${children.total} mapped children:`,
      ...children.counts.map(([state, n, fill]) => h("div", {}, swatch(fill), ` ${n} ${state}`)));
  }

  // The node under the pointer changed (a run went on, a What-if click): say it anew.
  const refresh = () => { if (!tip.hidden && at) show(...at); };
  return { element: tip, show, refresh, hide: () => { tip.hidden = true; } };
}

// ---------------------------------------------------------------- toolbar

function createStatus() {
  const line = h("div", { class: "fb-status", role: "status" });
  function render(status = {}) {
    const parts = [h("strong", { class: "fb-flow", text: status.flow || "" })];
    if (status.state) {
      parts.push(h("span", { class: "fb-run-state" }, swatch(status.fill || "transparent"),
        ` ${status.state}${status.message ? `: ${status.message}` : ""}`));
    }
    const counts = h("span", { class: "fb-counts" });
    for (const [state, n, fill] of status.counts || []) {
      counts.append(h("span", { class: "fb-count", title: state }, swatch(fill), ` ${n} ${state}`));
    }
    parts.push(counts);
    if (status.elapsed) parts.push(h("span", { class: "fb-elapsed", text: status.elapsed }));
    if (status.run != null) {
      parts.push(h("span", { class: "fb-run-number", text: `run ${status.run}` }));
    }
    if (status.next_run) parts.push(h("span", { class: "fb-next-run", text: status.next_run }));
    if (status.what_if) parts.push(h("div", { class: "fb-what-if-line", text: status.what_if }));
    line.replaceChildren(...parts);
  }
  return { element: line, render };
}

function createRunPicker(ctx) {
  const { model } = ctx;
  const picker = h("select", { class: "fb-runs", "aria-label": "run shown" });
  const follow = h("input", { type: "checkbox", class: "fb-follow" });
  const latest = () => model.get("runs")?.at(-1)?.number;

  picker.addEventListener("change", () => {
    const run = Number(picker.value);
    model.set("run", run);
    model.set("follow", follow.checked && run === latest());
    model.save_changes();
  });
  follow.addEventListener("change", () => {
    model.set("follow", follow.checked);
    if (follow.checked && latest() != null) model.set("run", latest());
    model.save_changes();
  });

  function render() {
    const runs = model.get("runs") || [], run = model.get("run");
    const options = runs.map((r) => h("option", { value: String(r.number), text: r.label }));
    if (!runs.some((r) => r.number === run)) {
      const text = runs.length ? "—" : "no run yet";
      options.unshift(h("option", { value: String(run || 0), text }));
    }
    picker.replaceChildren(...options);
    picker.value = String(run || 0);
    picker.disabled = runs.length === 0;
    follow.checked = Boolean(model.get("follow"));
  }

  const label = h("label", { class: "fb-follow-label" }, follow, " follow latest");
  return { element: h("span", { class: "fb-run-picker" }, picker, label), render };
}

function createSearch(ctx) {
  const input = h("input", { type: "search", class: "fb-search", placeholder: "find task",
    "aria-label": "find a task by name" });
  const count = h("span", { class: "fb-search-count", "aria-live": "polite" });
  let matches = [], at = -1;

  input.addEventListener("input", () => {
    matches = ctx.graph.highlight(input.value);
    at = -1;
    count.textContent = input.value.trim() ? `${matches.length} found` : "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      input.value = "";
      input.dispatchEvent(new Event("input"));
    }
    if (event.key !== "Enter" || matches.length === 0) return;
    event.preventDefault();
    at = (at + (event.shiftKey ? matches.length - 1 : 1)) % matches.length;
    ctx.select(matches[at], "center");
  });
  return { element: h("span", { class: "fb-search-box" }, input, count) };
}

function createZoomButtons(ctx) {
  const button = (text, title, onclick) => h("button", { type: "button", title,
    "aria-label": title, class: "fb-zoom", text, onclick });
  return {
    element: h("span", { class: "fb-zoom-buttons", role: "group" },
      button("−", "zoom out", () => ctx.graph.zoom(1 / ZOOM_STEP)),
      button("fit", "fit to width", () => ctx.graph.fit()),
      button("+", "zoom in", () => ctx.graph.zoom(ZOOM_STEP))),
  };
}

function createViewToggle(ctx) {
  const buttons = ["graph", "timeline"].map((view) => h("button", {
    type: "button", class: "fb-view-button", "data-view": view,
    text: view === "graph" ? "Graph" : "Timeline",
    onclick: () => { ctx.model.set("view", view); ctx.model.save_changes(); },
  }));
  function render(view) {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.view === view));
    // A simulation has no time: the timeline is of the run, out of the What-if mode.
    buttons[1].disabled = Boolean(ctx.model.get("what_if"));
  }
  return { element: h("span", { class: "fb-view-toggle", role: "group" }, ...buttons), render };
}

/** The What-if mode's toggle, its one-line hint (Python's words) and Reset. */
function createWhatIf(ctx) {
  const { model } = ctx;
  const toggle = h("button", { type: "button", class: "fb-what-if-toggle", text: "What if",
    title: "Set how tasks end and see what the flow would do (nothing runs): each click on a "
      + "task sets the next of Success, Failed, Skipped, TimedOut, then how it ended in the run",
    onclick: () => { model.set("what_if", !model.get("what_if")); model.save_changes(); } });
  const reset = h("button", { type: "button", class: "fb-what-if-reset", text: "Reset",
    title: "Every task ends as in the run again",
    onclick: () => { model.set("outcomes", {}); model.save_changes(); } });
  const hint = h("span", { class: "fb-what-if-hint" });

  function render() {
    const on = Boolean(model.get("what_if"));
    toggle.setAttribute("aria-pressed", String(on));
    hint.hidden = reset.hidden = !on;
    hint.textContent = on ? (model.get("status") || {}).hint || "" : "";
    ctx.root.dataset.whatIf = on ? "on" : "off";
    enable();
  }
  // A simulation is made by the kernel: without one the mode could show nothing.
  function enable() {
    const off = ctx.disconnected || !ctx.connection?.answered();
    toggle.disabled = off;
    reset.disabled = off || Object.keys(model.get("outcomes") || {}).length === 0;
  }
  return { element: h("span", { class: "fb-what-if", role: "group" }, toggle, reset, hint),
    render, enable };
}

// ---------------------------------------------------------------- actions, panel, legend

function createActions(ctx) {
  const globalBar = h("span", { class: "fb-global-actions" });
  const taskBar = h("div", { class: "fb-task-actions" });

  function button(action) {
    return h("button", {
      type: "button", class: `fb-action fb-${action.style || "primary"}`,
      title: action.title || "", text: action.label, "data-action": action.id,
      onclick: () => ctx.act(action.id),
    });
  }

  function render() {
    const actions = ctx.model.get("actions") || [], selected = ctx.model.get("selected");
    const global = actions.filter((a) => a.scope === "global").slice(0, 2); // the contract's most
    globalBar.replaceChildren(...global.map(button));
    taskBar.replaceChildren(...actions
      .filter((a) => a.scope === "task" && (!a.task || a.task === selected)).map(button));
    enable();
  }

  // Enabled once the kernel side answered the view's hello: a view restored from a saved
  // notebook, or one whose kernel restarted, has no one to act.
  function enable() {
    const off = Boolean(ctx.model.get("busy")) || ctx.disconnected
      || !ctx.connection?.answered();
    for (const b of [...globalBar.children, ...taskBar.children]) b.disabled = off;
  }

  return { globalBar, taskBar, render, enable };
}

function createLegend() {
  const legend = h("div", { class: "fb-legend", "aria-label": "legend" });
  function render(entries = [], whatIf = false) {
    const shown = entries.map(([state, fill, border, icon]) => h("span",
      { class: `fb-legend-entry${border === "stale" ? " fb-legend-stale" : ""}` },
      border === "stale" ? ringSwatch(fill) : swatch(fill, border),
      ` ${icon ? `${icon} ` : ""}${state}`));
    if (whatIf) {
      shown.push(h("span", { class: "fb-legend-entry fb-legend-set" },
        h("span", { class: "fb-set-chip", text: "if" }), " set by you (a simulation)"));
    }
    legend.replaceChildren(...shown);
  }
  return { element: legend, render };
}

// ---------------------------------------------------------------- timeline

/** "0 s", "2.5 s", "1 min 30 s": an axis label, without formatDuration's fixed decimals. */
function tickLabel(seconds) {
  return seconds < 59.95 ? `${Number(seconds.toPrecision(3))} s` : formatDuration(seconds);
}

/** A tick step of 1, 2 or 5 times a power of ten giving about five ticks over `span`. */
function tickStep(span) {
  const rough = span / 5, power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough) || rough;
}

function createTimeline(ctx) {
  const list = h("div", { class: "fb-timeline", role: "listbox", "aria-label": "timeline",
    hidden: "" });

  list.addEventListener("click", (event) => {
    const row = event.target.closest(".fb-row[data-task]");
    if (row) ctx.select(row.dataset.task);
  });
  list.addEventListener("keydown", (event) => {
    const row = event.target.closest(".fb-row[data-task]");
    if (!row || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    ctx.select(row.dataset.task);
  });

  function render(timeline) {
    const rows = timeline?.rows || [];
    if (rows.length === 0) {
      list.replaceChildren(h("p", { class: "fb-empty", text: "No task has run yet." }));
      return;
    }
    const span = Math.max(timeline.end - timeline.start, 1e-6);
    const at = (t) => `${(((t ?? timeline.end) - timeline.start) / span) * 100}%`;
    list.replaceChildren(axis(span, at, timeline.start), ...rows.map((row) => rowOf(row, at)));
    showSelected(ctx.model.get("selected"));
  }

  function axis(span, at, start) {
    const step = tickStep(span), ticks = [];
    for (let t = 0; t <= span + step / 1000; t += step) {
      const style = `left:${at(start + t)}`;
      ticks.push(h("span", { class: "fb-tick", style, text: tickLabel(t) }));
    }
    return h("div", { class: "fb-axis", "aria-hidden": "true" },
      h("span", { class: "fb-row-name" }), h("div", { class: "fb-track" }, ...ticks));
  }

  function rowOf(row, at) {
    const track = h("div", { class: "fb-track" });
    for (const [start, end, state, fill] of row.segments) {
      const width = `calc(${at(end)} - ${at(start)})`;
      track.append(h("span", { class: "fb-segment", title: state,
        style: `left:${at(start)};width:${width};background:${fill}` }));
    }
    return h("div", { class: "fb-row", role: "option", tabindex: "0", "data-task": row.task },
      h("span", { class: "fb-row-name", title: row.task, text: row.task }), track);
  }

  function showSelected(name) {
    for (const row of list.querySelectorAll(".fb-row")) {
      row.classList.toggle("fb-selected", row.dataset.task === name);
      row.setAttribute("aria-selected", String(row.dataset.task === name));
    }
  }

  return { element: list, render, showSelected };
}

// ---------------------------------------------------------------- connection to the kernel

/** Knowing whether a kernel answers: a hello sent at render is answered by a live kernel. */
function createConnection(ctx, root) {
  const notice = h("div", { class: "fb-disconnected", role: "alert", hidden: "",
    text: NOT_CONNECTED });
  let answered = false;

  function connected() {
    answered = true;
    ctx.disconnected = false;
    root.dataset.connected = "yes";
    notice.hidden = true;
    ctx.actions.enable();
    ctx.whatIf.enable();
  }
  // Called when the view learns no kernel listens: its buttons could only do nothing.
  function disconnected() {
    ctx.disconnected = true;
    root.dataset.connected = "no";
    notice.hidden = false;
    ctx.actions.enable();
    ctx.whatIf.enable();
  }
  // Ask the kernel side whether it knows this widget. The kernel answers {type: "hello"}
  // while handling the message; if the message's handling ends (the kernel goes idle) with
  // no answer, the kernel was restarted and knows no such widget. A busy kernel answers
  // later, never wrongly. A model with no comm (restored from a saved notebook) throws.
  const listening = new Set(); // the answer listeners of hellos not yet settled
  function hello() {
    let heard = false;
    const mark = (message) => { if (message?.type === "hello") heard = true; };
    const stop = () => { ctx.model.off("msg:custom", mark); listening.delete(stop); };
    ctx.model.on("msg:custom", mark);
    listening.add(stop);
    const idle = (reply) => {
      if (reply?.content?.execution_state !== "idle") return;
      stop();
      if (!heard) disconnected();
    };
    try {
      ctx.model.send({ type: "hello" }, { iopub: { status: idle } });
    } catch {
      stop();
      disconnected();
    }
  }
  // The kernel going away (a restart from the UI, a crash) says so at once, where the page
  // tells: ipywidgets' comm_live_update and the kernel's status, when the manager has one.
  const DEAD = ["restarting", "autorestarting", "dead"];
  const onStatus = (_kernel, status) => DEAD.includes(status) && disconnected();
  const kernel = ctx.model.widget_manager?.kernel;
  try { kernel?.statusChanged?.connect(onStatus); } catch { /* not a JupyterLab kernel */ }
  function dispose() {
    for (const stop of [...listening]) stop();
    try { kernel?.statusChanged?.disconnect(onStatus); } catch { /* gone already */ }
  }
  return { element: notice, connected, disconnected, hello, dispose,
           answered: () => answered };
}

// ---------------------------------------------------------------- the view

/** What the parts share: the model, the parts that others call, and what a user does. */
function createContext(model, root) {
  const ctx = { model, root, disconnected: false };
  ctx.iconOf = (state) => (model.get("legend") || []).find(([name]) => name === state)?.[3];
  ctx.select = (name, reveal) => {
    ctx.graph.showSelected(name, reveal);
    ctx.timeline.showSelected(name);
    model.set("selected", name);
    model.save_changes();
  };
  ctx.send = (message) => {
    if (!ctx.connection.answered()) {
      ctx.connection.disconnected(); // no kernel answered the hello yet: say so, ask again
    }
    ctx.connection.hello(); // a kernel restarted since the last answer is found out now
    try {
      model.send(message);
    } catch {
      ctx.connection.disconnected();
    }
  };
  ctx.act = (id) => ctx.send({ type: "action", id });
  // A click (or Enter) on a task: selects it; in the What-if mode it also sets how it ends.
  ctx.pick = (name, reveal) => {
    ctx.select(name, reveal);
    if (model.get("what_if")) ctx.send({ type: "what_if", task: name });
  };
  ctx.tooltip = createTooltip(ctx, root);
  ctx.graph = new Graph(ctx);
  ctx.timeline = createTimeline(ctx);
  ctx.actions = createActions(ctx);
  ctx.whatIf = createWhatIf(ctx);
  ctx.connection = createConnection(ctx, root);
  return ctx;
}

/** Lay the parts out in `root`: status, toolbar, notices, drawing or timeline, panel, legend. */
function layout(ctx, root) {
  const parts = {
    status: createStatus(), runs: createRunPicker(ctx), toggle: createViewToggle(ctx),
    legend: createLegend(), problem: h("div", { class: "fb-problem", role: "alert" }),
    panel: h("div", { class: "fb-panel" }), output: h("pre", { class: "fb-output" }),
  };
  // A mapped task's panel lists its children as cells; clicking one shows its details.
  parts.panel.addEventListener("click", (event) => {
    const cell = event.target.closest?.("[data-child]");
    if (!cell) return;
    ctx.model.set("child", Number(cell.dataset.child));
    ctx.model.save_changes();
  });
  root.append(
    parts.status.element,
    h("div", { class: "fb-toolbar" }, parts.runs.element, createSearch(ctx).element,
      createZoomButtons(ctx).element, parts.toggle.element, ctx.actions.globalBar,
      ctx.whatIf.element),
    ctx.connection.element, parts.problem,
    h("div", { class: "fb-body" }, ctx.graph.element, ctx.timeline.element),
    h("div", { class: "fb-panel-area" }, ctx.actions.taskBar, parts.panel, parts.output),
    parts.legend.element, ctx.tooltip.element);
  return parts;
}

/** trait -> how the view shows it; each runs at render and on every change of its trait. */
function traitUpdates(ctx, parts, root) {
  const { model, graph, timeline, actions } = ctx;
  const showView = () => {
    const view = model.get("view") === "timeline" ? "timeline" : "graph";
    parts.toggle.render(view);
    graph.element.hidden = view !== "graph" || !model.get("svg");
    timeline.element.hidden = view !== "timeline";
    root.dataset.view = view;
  };
  return {
    svg: () => {
      graph.setSvg(model.get("svg"));
      graph.recolour(model.get("nodes") || {});
      graph.showSelected(model.get("selected"));
      showView();
    },
    nodes: () => {
      graph.recolour(model.get("nodes") || {});
      ctx.tooltip.refresh();
    },
    selected: () => {
      graph.showSelected(model.get("selected"), "reveal");
      timeline.showSelected(model.get("selected"));
      actions.render();
    },
    status: () => {
      parts.status.render(model.get("status") || {});
      ctx.whatIf.render(); // its hint comes with the status
    },
    runs: () => parts.runs.render(),
    run: () => parts.runs.render(),
    follow: () => parts.runs.render(),
    view: showView,
    timeline: () => timeline.render(model.get("timeline")),
    actions: () => actions.render(),
    busy: () => actions.enable(),
    panel: () => { parts.panel.innerHTML = model.get("panel") || ""; }, // escaped by Python
    problem: () => { parts.problem.textContent = model.get("problem") || ""; },
    output: () => { parts.output.textContent = model.get("output") || ""; },
    legend: () => parts.legend.render(model.get("legend") || [], model.get("what_if")),
    what_if: () => {
      ctx.whatIf.render();
      parts.toggle.render(model.get("view") === "timeline" ? "timeline" : "graph");
      parts.legend.render(model.get("legend") || [], model.get("what_if"));
    },
    outcomes: () => ctx.whatIf.enable(),
    connected: () => model.get("connected") === false && ctx.connection.disconnected(),
  };
}

function render({ model, el }) {
  // A model restored from the notebook's saved widget state (a notebook reopened, or executed
  // by nbclient) has no comm: no kernel will ever answer it, and ipywidgets marks its view
  // disconnected before rendering it. The static picture shown before it says the same
  // and stays shown; a restored view would hide it behind buttons that cannot work.
  if (el.classList.contains("jupyter-widgets-disconnected")) {
    el.classList.add("flowbook-restored");
    return undefined;
  }
  const root = h("div", { class: "flowbook-view" });
  const ctx = createContext(model, root);
  const parts = layout(ctx, root);
  el.append(root);
  el.classList.add("flowbook-live"); // view.css then hides the static picture shown before it

  const handlers = [];
  const on = (event, callback) => {
    model.on(event, callback);
    handlers.push([event, callback]);
  };
  for (const [trait, update] of Object.entries(traitUpdates(ctx, parts, root))) {
    on(`change:${trait}`, update);
    update();
  }
  on("msg:custom", (message) => message?.type === "hello" && ctx.connection.connected());
  try { // ipywidgets' own signal that the comm died (a kernel restart); absent elsewhere
    on("comm_live_update", () => ctx.connection.disconnected());
  } catch {
    // a model without this event: the hello answer alone tells
  }
  // Whoever learns that no kernel listens (a later check, a test) can say so with this event.
  root.addEventListener("flowbook-disconnected", () => ctx.connection.disconnected());
  ctx.connection.hello();

  return () => {
    for (const [event, callback] of handlers) model.off(event, callback);
    ctx.graph.destroy();
    ctx.connection.dispose();
    root.remove();
  };
}

export default { render };
