// Shared by every genad page: navigation, API calls, server-sent events, uPlot charts.
import uPlot from "/static/vendor/uplot/uPlot.esm.js";

export { uPlot };

const PAGES = [["/", "genad"], ["/train", "Train"], ["/live", "Live"], ["/docs", "API docs"]];
const KEY_STORE = "genad.apiKey";

/** Insert the navigation bar (with the optional API key field) at the top of <body>. */
export function mountNav() {
  const header = document.createElement("header");
  header.className = "nav";
  const nav = document.createElement("nav");
  nav.setAttribute("aria-label", "genad pages");
  nav.style.display = "flex";
  nav.style.gap = "1rem";
  for (const [href, text] of PAGES) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (href === "/") a.className = "brand";
    if (href === location.pathname) a.setAttribute("aria-current", "page");
    nav.append(a);
  }
  const key = document.createElement("div");
  key.className = "key";
  key.innerHTML = '<label for="api-key">API key</label>' +
    '<input id="api-key" type="password" autocomplete="off" placeholder="only when the server needs one">';
  header.append(nav, key);
  document.body.prepend(header);
  const input = key.querySelector("input");
  input.value = localStorage.getItem(KEY_STORE) || "";
  input.addEventListener("change", () => localStorage.setItem(KEY_STORE, input.value.trim()));
}

export function authHeaders() {
  const k = localStorage.getItem(KEY_STORE);
  return k ? { Authorization: `Bearer ${k}` } : {};
}

/** fetch() against this app; JSON in and out. Throws an Error with the server's message. */
export async function api(path, { method = "GET", json, body, headers = {} } = {}) {
  const init = { method, headers: { ...authHeaders(), ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) {
    const msg = data && data.error ? data.error.message : `${r.status} ${r.statusText}`;
    const err = new Error(msg);
    err.status = r.status;
    throw err;
  }
  return data;
}

/** Server-sent events: handlers maps event names to functions of the parsed JSON data.
 *  EventSource cannot send headers, so the API key travels as the ``key`` query parameter.
 *  Returns the EventSource; close() it to stop. */
export function sse(path, handlers, { onerror } = {}) {
  const k = localStorage.getItem(KEY_STORE);
  const url = k ? `${path}${path.includes("?") ? "&" : "?"}key=${encodeURIComponent(k)}` : path;
  const es = new EventSource(url);
  for (const [name, fn] of Object.entries(handlers)) {
    es.addEventListener(name, (ev) => fn(JSON.parse(ev.data)));
  }
  if (onerror) es.onerror = onerror;
  return es;
}

export const COLORS = { normal: "#1f5fbf", anomaly: "#c0362c", line: "#16202c", accent: "#0b57d0",
  val: "#d35400", grey: "#5b6573" };

function width(el) { return Math.max(280, Math.floor(el.clientWidth || 400) - 4); }

/** A line chart: series = [{label, stroke, dash}], data = [xs, ys1, ys2, ...]. */
export function lineChart(el, { series, data, xLabel = "", yLabel = "", height = 220, title,
  points = false, log = false, xRange, xIntegers = false } = {}) {
  const opts = {
    title, width: width(el), height,
    scales: { x: { time: false, ...(xRange ? { range: xRange } : {}) }, y: log ? { distr: 3 } : {} },
    axes: [{ label: xLabel, ...(xIntegers ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] } : {}) },
      { label: yLabel }],
    series: [{ label: xLabel || "x" }, ...series.map((s) => ({ width: 2, points: { show: points }, ...s }))],
  };
  const chart = new uPlot(opts, data || [[], ...series.map(() => [])], el);
  new ResizeObserver(() => chart.setSize({ width: width(el), height })).observe(el);
  return chart;
}

/** Histogram counts of values in ``bins`` equal bins over [lo, hi]. */
export function histogram(values, lo, hi, bins) {
  const counts = new Array(bins).fill(0);
  const span = hi - lo || 1;
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / span) * bins)));
    counts[i] += 1;
  }
  return counts;
}

/** A uPlot plugin drawing a vertical line at x = get() (a threshold). */
export function vline(get, color = COLORS.line) {
  return {
    hooks: {
      draw: (u) => {
        const x = get();
        if (x == null || !isFinite(x)) return;
        const px = u.valToPos(x, "x", true);
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = color;
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
        ctx.beginPath();
        ctx.moveTo(px, u.bbox.top);
        ctx.lineTo(px, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      },
    },
  };
}

/** Confusion counts and the decision metrics of genad.metrics.decision_metrics for
 *  "score > threshold" (labels 1 = anomaly). */
export function decisionMetrics(scores, labels, threshold) {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i] > threshold, y = labels[i] === 1;
    if (p && y) tp++; else if (p) fp++; else if (y) fn++; else tn++;
  }
  const div = (a, b) => (b ? a / b : 0);
  const precision = div(tp, tp + fp), recall = div(tp, tp + fn);
  return { tp, fp, tn, fn, accuracy: div(tp + tn, scores.length), precision, recall,
    f1: div(2 * precision * recall, precision + recall), fpr: div(fp, fp + tn), tpr: recall };
}

export function fmt(x, digits = 3) {
  if (x == null || Number.isNaN(x)) return "–";
  if (typeof x === "number" && !Number.isInteger(x)) return x.toFixed(digits);
  return String(x);
}
