// The live comparison page: start a stream, listen to its server-sent events, draw per model.
import uPlot from "/static/vendor/uplot/uPlot.esm.js";

const $ = (sel, root = document) => root.querySelector(sel);
const STRIP = 120;     // rows drawn in each model's strip
const POINTS = 600;    // rows in each score chart
const KEY = "genad.apiKey";

// ------------------------------------------------------------------ API
function headers(extra = {}) {
  const key = $("#api-key").value.trim();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: headers(body ? { "Content-Type": "application/json" } : {}) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(path, init);
  const doc = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(doc?.error?.message || `${method} ${path}: HTTP ${r.status}`);
  return doc;
}

// Server-sent events over fetch (EventSource cannot send the Authorization header).
async function listen(path, signal, onEvent) {
  const r = await fetch(path, { headers: headers({ Accept: "text/event-stream" }), signal });
  if (!r.ok) {
    const doc = await r.json().catch(() => ({}));
    throw Object.assign(new Error(doc?.error?.message || `HTTP ${r.status}`), { status: r.status });
  }
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let k;
    while ((k = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, k);
      buf = buf.slice(k + 2);
      let event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (!data) continue;
      try {
        onEvent(event, JSON.parse(data));
      } catch (err) {  // a fault in the page, not the connection: report it, keep listening
        setTimeout(() => { throw err; });
      }
    }
  }
}

// ------------------------------------------------------------------ formatting
const fmt = (v, d = 3) => (v === null || v === undefined || Number.isNaN(v)) ? "–" : Number(v).toFixed(d);
const fmtScore = (v) => {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4);
};
const truthWord = (y) => (y === 1 ? "anomaly" : y === 0 ? "normal" : "no label");
function outcome(flag, y) {
  if (y === null || y === undefined) return flag ? "flagged" : "passed";
  return flag ? (y === 1 ? "TP" : "FP") : (y === 1 ? "FN" : "TN");
}

// ------------------------------------------------------------------ setup
let models = [];

async function loadSetup() {
  $("#setup-error").textContent = "";
  try {
    const [m, src] = await Promise.all([api("/v1/models"), api("/v1/live/sources")]);
    models = m.models;
    fillSources(src);
    fillModels(src.starter);
  } catch (e) {
    $("#model-list").innerHTML = "";
    $("#setup-error").textContent = e.message;
  }
}

function fillSources(src) {
  const sel = $("#source");
  sel.innerHTML = "";
  const group = (label, items) => {
    const g = document.createElement("optgroup");
    g.label = label;
    for (const it of items) g.append(new Option(it.id === "kdd99-ff12" ? "KDD99 FF12 test rows (kdd99-ff12)" : it.id, it.id));
    if (items.length) sel.append(g);
  };
  group("Labelled datasets", src.datasets);
  group("NAB series (time order)", src.nab);
  group("Other programs", [{ id: "post" }]);
  sel.querySelector('option[value="post"]').textContent = "Posted rows only (POST /v1/streams/{id}/rows)";
  sel.value = src.default || "post";
}

function fillModels(starter) {
  const list = $("#model-list");
  list.innerHTML = "";
  for (const [k, m] of models.entries()) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.name = "model"; box.value = m.name;
    box.checked = k < 2;
    const width = m.input.n_features ?? m.input.sample_shape.join("×");
    label.append(box, ` ${m.name} `);
    const small = document.createElement("span");
    small.className = "hint";
    small.textContent = `(${m.detector}, ${width} features)`;
    label.append(small);
    list.append(label);
  }
  if (!models.length) list.innerHTML = '<p class="hint">No models in the folder yet. Train one on the <a href="/train">Train</a> page, upload one with PUT /v1/models/{name}, or fit the starter set below.</p>';
  const box = $("#starter");
  box.hidden = models.length > 0 && starter.state !== "running";
  $("#starter-btn").disabled = !starter.available || starter.state === "running";
  if (!starter.available) $("#starter-status").textContent = starter.reason;
  if (starter.state === "running") pollStarter();
}

async function fitStarter() {
  $("#starter-btn").disabled = true;
  try {
    await api("/v1/live/starter", { method: "POST", body: {} });
    pollStarter();
  } catch (e) {
    $("#starter-status").textContent = e.message;
    $("#starter-btn").disabled = false;
  }
}

async function pollStarter() {
  const st = await api("/v1/live/starter");
  const errs = Object.entries(st.errors).map(([k, v]) => `${k}: ${v}`).join("; ");
  $("#starter-status").textContent = st.state === "running"
    ? `Fitting ${st.current ?? "…"} on ${st.rows || "…"} rows; done: ${st.fitted.join(", ") || "none yet"}`
    : `${st.state}: fitted ${st.fitted.join(", ") || "none"}${errs ? "; errors: " + errs : ""}`;
  if (st.state === "running") setTimeout(pollStarter, 1000);
  else { $("#starter-btn").disabled = false; const keep = $("#starter-status").textContent; await loadSetup(); $("#starter-status").textContent = keep; }
}

// ------------------------------------------------------------------ stream
let stream = null;   // {id, detectors, feature_names, ...}
let abort = null;
const cards = new Map();  // model name -> card state

async function start(ev) {
  ev.preventDefault();
  $("#setup-error").textContent = "";
  const chosen = [...document.querySelectorAll('input[name="model"]:checked')].map((b) => b.value);
  if (!chosen.length) { $("#setup-error").textContent = "Pick at least one model (two or more to compare)."; return; }
  try {
    const doc = await api("/v1/streams", { method: "POST", body: {
      models: chosen, source: $("#source").value, rate: Number($("#rate").value) } });
    openStream(doc);
  } catch (e) {
    $("#setup-error").textContent = e.message;
  }
}

function openStream(doc) {
  stream = doc;
  $("#setup").hidden = true;
  $("#run").hidden = false;
  $("#stream-id").textContent = doc.id;
  $("#run-error").textContent = "";
  const origin = location.origin;
  const width = doc.feature_names ? doc.feature_names.length : null;
  $("#curl").textContent =
    `curl -X POST ${origin}/v1/streams/${doc.id}/rows \\\n  -H 'Content-Type: application/json'` +
    ($("#api-key").value ? " -H 'Authorization: Bearer <key>'" : "") +
    ` \\\n  -d '{"rows": [[${width ? Array(width).fill(0).join(", ") : "…"}]], "labels": [0]}'`;
  const box = $("#cards");
  box.innerHTML = "";
  cards.clear();
  for (const [name, info] of Object.entries(doc.detectors)) cards.set(name, makeCard(name, info, box));
  showStatus(doc);
  abort = new AbortController();
  connect(doc.id, abort.signal);
  $("#pause").focus();
}

async function connect(id, signal) {
  try {
    await listen(`/v1/streams/${id}/events`, signal, onEvent);
  } catch (e) {  // the server ends each events response after a while; it is reopened below
    if (signal.aborted) return;
    if (e.status === 404 || e.status === 401 || e.status === 403) {  // gone or not allowed: stop trying
      $("#run-error").textContent = e.message;
      return;
    }
    $("#run-error").textContent = `Lost the stream's events (${e.message}); reconnecting…`;
  }
  if (!signal.aborted && stream && stream.id === id) setTimeout(() => !signal.aborted && connect(id, signal), 200);
}

function onEvent(kind, data) {
  if (kind === "hello") {  // first event of every (re)connection: rows this page has not seen yet
    $("#run-error").textContent = "";
    const seen = Math.max(-1, ...[...cards.values()].map((c) => (c.rows.length ? c.rows[c.rows.length - 1].i : -1)));
    addRows(data.recent.filter((r) => r.i > seen));
    showStatus(data);
  } else if (kind === "rows") {
    addRows(data.batch);
    showStatus(data);
  } else if (kind === "status") {
    showStatus(data);
  }
}

function addRows(rows) {
  for (const c of cards.values()) {
    for (const r of rows) c.rows.push({ i: r.i, y: r.y, s: r.s[c.name], origin: r.origin });
    if (c.rows.length > POINTS) c.rows.splice(0, c.rows.length - POINTS);
    c.dirty = true;
  }
  schedule();
}

let frame = 0;
function schedule() {
  if (!frame) frame = requestAnimationFrame(() => { frame = 0; for (const c of cards.values()) if (c.dirty) draw(c); });
}

function showStatus(st) {
  stream = { ...stream, ...st };
  const paused = st.paused;
  const btn = $("#pause");
  btn.textContent = paused ? "Resume" : "Pause";
  btn.setAttribute("aria-pressed", String(paused));
  btn.disabled = st.done || st.total === 0;
  const rate = $("#rate-live");
  if (document.activeElement !== rate) rate.value = String(rateToSlider(st.rate));
  $("#rate-out").textContent = `${st.rate.toPrecision(3)} rows/s`;
  const where = st.total ? `${st.cursor} of ${st.total} source rows` : "posted rows only";
  $("#progress").textContent = `${st.rows} rows scored (${where})${paused ? " · paused" : ""}${st.done ? " · source finished" : ""}`;
  $("#progress").dataset.rows = String(st.rows);
  if (st.error) $("#run-error").textContent = st.error;
  for (const [name, m] of Object.entries(st.models)) {
    const c = cards.get(name);
    if (c) updateCard(c, m);
  }
}

// rate slider: 0..100 on a log scale from 0.5 to 1000 rows/s
const rateToSlider = (r) => Math.round(100 * Math.log(r / 0.5) / Math.log(2000));
const sliderToRate = (v) => Number((0.5 * Math.pow(2000, v / 100)).toPrecision(2));

async function control(body) {
  if (!stream) return;
  try {
    showStatus(await api(`/v1/streams/${stream.id}/control`, { method: "POST", body }));
  } catch (e) {
    $("#run-error").textContent = e.message;
  }
}

async function stop() {
  if (abort) abort.abort();
  const id = stream?.id;
  stream = null;
  if (id) await api(`/v1/streams/${id}`, { method: "DELETE" }).catch(() => {});
  $("#run").hidden = true;
  $("#detail").hidden = true;
  $("#setup").hidden = false;
  $("#start").focus();
}

// ------------------------------------------------------------------ cards
const METRICS = [
  ["accuracy", "(TP + TN) / (TP + FP + TN + FN)"],
  ["precision", "TP / (TP + FP)"],
  ["recall", "TP / (TP + FN)"],
  ["f1", "2 · precision · recall / (precision + recall)"],
];

function makeCard(name, info, box) {
  const el = document.createElement("article");
  el.className = "card";
  el.dataset.model = name;
  const id = `m-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  el.setAttribute("aria-labelledby", `${id}-h`);
  el.innerHTML = `
    <h3 id="${id}-h">${escapeHtml(name)} <small>${escapeHtml(info.detector)}</small></h3>
    <p class="drift wait" role="status" data-drift></p>
    <table class="counts" aria-label="confusion counts of ${escapeHtml(name)}">
      <tr><th scope="col"></th><th scope="col">truth anomaly</th><th scope="col">truth normal</th></tr>
      <tr><th scope="row">flagged</th><td data-count="tp"></td><td data-count="fp"></td></tr>
      <tr><th scope="row">passed</th><td data-count="fn"></td><td data-count="tn"></td></tr>
    </table>
    <p class="hint">TP <span data-count-inline="tp"></span>, FP <span data-count-inline="fp"></span>,
      TN <span data-count-inline="tn"></span>, FN <span data-count-inline="fn"></span>;
      flagged <span data-count="flagged"></span>, passed <span data-count="passed"></span></p>
    <dl class="metrics">${METRICS.map(([k, f]) =>
      `<dt>${k === "f1" ? "F1" : k[0].toUpperCase() + k.slice(1)} <span class="formula">= ${f}</span></dt><dd data-metric="${k}"></dd>`).join("")}</dl>
    <div class="chart" aria-label="score of ${escapeHtml(name)} over the last rows, with the threshold line" role="img"></div>
    <div class="thr">
      <label for="${id}-thr">Threshold</label>
      <input type="range" id="${id}-thr" min="0" max="1000" step="1" aria-describedby="${id}-thrv">
      <input type="number" id="${id}-thrv" step="any" aria-label="threshold of ${escapeHtml(name)}" data-threshold>
      <button type="button" data-reset>Model's threshold</button>
    </div>
    <p class="latency" data-latency></p>
    <div class="strip" data-strip aria-label="last ${STRIP} rows of ${escapeHtml(name)}: flagged rows on top, passed below"></div>`;
  box.append(el);
  const c = { name, info, el, rows: [], threshold: null, modelThreshold: null, lo: null, hi: null, dirty: false };
  c.plot = new uPlot({
    width: 400, height: 170,
    scales: { x: { time: false }, y: { distr: 4, asinh: Math.max(Math.abs(info.calibration.median), 1e-9) } },
    axes: [{ label: "row" }, { label: "score", size: 60, values: (u, vals) => vals.map(fmtScore) }],
    series: [{ label: "row" },
      { label: "score", stroke: "#1d4ed8", width: 1, points: { show: true, size: 3 } },
      { label: "threshold", stroke: "#b91c1c", width: 2, dash: [6, 4], points: { show: false } }],
    legend: { show: false },
  }, [[], [], []], $(".chart", el));
  const range = $('input[type="range"]', el), num = $("input[data-threshold]", el);
  range.addEventListener("focus", () => setBounds(c));
  range.addEventListener("pointerdown", () => setBounds(c));
  range.addEventListener("input", () => { num.value = fmtScore(sliderToThreshold(c, Number(range.value))); sendThreshold(c, Number(num.value), 150); });
  num.addEventListener("change", () => { const v = Number(num.value); if (Number.isFinite(v)) sendThreshold(c, v, 0); });
  $("button[data-reset]", el).addEventListener("click", () => sendThreshold(c, c.modelThreshold, 0));
  new ResizeObserver(() => c.plot.setSize({ width: Math.max(260, $(".chart", el).clientWidth), height: 170 })).observe($(".chart", el));
  return c;
}

function setBounds(c) {
  const scores = c.rows.map((r) => r.s).filter(Number.isFinite).sort((a, b) => a - b);
  const cal = c.info.calibration;
  const q99 = scores.length ? scores[Math.floor(0.99 * (scores.length - 1))] : cal.max;
  c.lo = Math.min(cal.min, c.threshold ?? cal.min);
  c.hi = Math.max(cal.max, q99, c.threshold ?? cal.max);
  $('input[type="range"]', c.el).value = String(thresholdToSlider(c, c.threshold));
}
const sliderToThreshold = (c, v) => c.lo + (c.hi - c.lo) * v / 1000;
const thresholdToSlider = (c, t) => (c.hi > c.lo ? Math.round(1000 * (t - c.lo) / (c.hi - c.lo)) : 500);

function sendThreshold(c, value, delay) {
  clearTimeout(c.timer);
  c.timer = setTimeout(() => control({ thresholds: { [c.name]: value } }), delay);
}

function updateCard(c, m) {
  for (const k of ["tp", "fp", "tn", "fn", "flagged", "passed"]) {
    for (const el of c.el.querySelectorAll(`[data-count="${k}"], [data-count-inline="${k}"]`)) el.textContent = String(m[k]);
  }
  for (const [k] of METRICS) $(`[data-metric="${k}"]`, c.el).textContent = fmt(m[k]);
  const changed = c.threshold !== m.threshold;
  c.threshold = m.threshold;
  c.modelThreshold = m.model_threshold;
  const num = $("input[data-threshold]", c.el);
  if (document.activeElement !== num && changed) num.value = fmtScore(m.threshold);
  if (c.lo === null) setBounds(c);
  else if (changed && document.activeElement !== $('input[type="range"]', c.el)) $('input[type="range"]', c.el).value = String(thresholdToSlider(c, c.threshold));
  $("[data-latency]", c.el).textContent =
    `Scoring latency: ${fmt(m.latency_ms, 3)} ms per row (last batch), ${fmt(m.latency_mean_ms, 3)} ms mean`;
  const d = m.drift, box = $("[data-drift]", c.el);
  if (d.p_value === null) {
    box.className = "drift wait";
    box.textContent = d.status.startsWith("waiting") ? `Drift check: waiting for ${Math.max(0, d.min_rows - d.window)} more rows`
      : `Drift check unavailable: ${d.status}`;
  } else {
    box.className = d.warning ? "drift warn" : "drift ok";
    box.textContent = (d.warning ? "Drift warning: the live scores are higher than the calibration scores" : "No drift: live scores look like the calibration scores") +
      ` (KS test of the last ${d.window} scores against the calibration scores: D = ${fmt(d.statistic)}, p = ${d.p_value.toExponential(2)})`;
  }
  if (changed) { c.dirty = true; schedule(); }
}

function draw(c) {
  c.dirty = false;
  if (document.activeElement !== $('input[type="range"]', c.el)) setBounds(c);
  const t = c.threshold;
  c.plot.setData([c.rows.map((r) => r.i), c.rows.map((r) => r.s), c.rows.map(() => t)]);
  const strip = $("[data-strip]", c.el);
  const frag = document.createDocumentFragment();
  for (const r of c.rows.slice(-STRIP)) {
    const flag = r.s > t;
    const cls = `cell ${flag ? "flag" : "pass"} ${r.y === 1 ? "anom" : r.y === 0 ? "norm" : "unk"}`;
    const label = `row ${r.i}${r.origin === "posted" ? " (posted)" : ""}: ${flag ? "flagged" : "passed"}, truth ${truthWord(r.y)} (${outcome(flag, r.y)}), score ${fmtScore(r.s)}`;
    const el = document.createElement(flag ? "button" : "span");
    el.className = cls;
    el.dataset.i = String(r.i);
    if (r.origin === "posted") el.dataset.posted = "1";
    if (flag) { el.type = "button"; el.setAttribute("aria-label", label); el.title = label; }
    else { el.title = label; }
    frag.append(el);
  }
  strip.replaceChildren(frag);
}

// ------------------------------------------------------------------ row detail
async function showRow(i) {
  let d;
  try {
    d = await api(`/v1/streams/${stream.id}/rows/${i}`);
  } catch (e) {
    $("#run-error").textContent = e.message;
    return;
  }
  const names = Object.keys(d.models);
  const withContrib = names.filter((n) => d.models[n].contribution);
  const max = Object.fromEntries(withContrib.map((n) => [n, Math.max(...d.models[n].contribution.map((e) => Math.abs(e ?? 0)), 1e-300)]));
  let html = `<p>Row ${d.i}${d.origin === "posted" ? " (posted)" : ""}, truth: <strong>${truthWord(d.y)}</strong>.</p><ul>`;
  for (const n of names) {
    const m = d.models[n];
    html += `<li><strong>${escapeHtml(n)}</strong> (${escapeHtml(m.detector)}): score ${fmtScore(m.score)}, threshold ${fmtScore(m.threshold)}, ${m.flagged ? "flagged" : "passed"}</li>`;
  }
  html += "</ul>";
  html += '<ul class="hint" id="detail-kinds">';
  for (const n of names) {
    const m = d.models[n];
    html += `<li>${escapeHtml(n)}: ${m.contribution ? "contribution = " + escapeHtml(m.contribution_kind) : escapeHtml(m.contribution_note || "no explanation")}</li>`;
  }
  html += "</ul>";
  for (const n of withContrib) {
    const c = d.models[n].contribution;
    const top = c.map((e, j) => [e ?? -Infinity, j]).sort((a, b) => b[0] - a[0]).slice(0, 3).filter((t) => t[0] > 0);
    if (d.models[n].flagged && top.length) {
      html += `<p class="top-features">${escapeHtml(n)} flagged this row mostly for ${top.map((t) => `<strong>${escapeHtml(String(d.feature_names[t[1]] ?? t[1]))}</strong>`).join(", ")}.</p>`;
    }
  }
  html += `<table><caption class="hint">values and per-feature contribution</caption><tr><th scope="col">feature</th><th scope="col">value</th>${withContrib.map((n) => `<th scope="col">${escapeHtml(n)}</th>`).join("")}</tr>`;
  d.values.forEach((v, j) => {
    html += `<tr><td>${escapeHtml(String(d.feature_names[j]))}</td><td>${typeof v === "number" ? fmtScore(v) : escapeHtml(String(v))}</td>`;
    for (const n of withContrib) {
      const e = d.models[n].contribution[j];
      html += `<td>${e === undefined || e === null ? "–" : fmtScore(e)}<span class="bar" style="width:${e === undefined || e === null || e <= 0 ? 0 : Math.round(80 * e / max[n])}px"></span></td>`;
    }
    html += "</tr>";
  });
  html += "</table>";
  $("#detail-body").innerHTML = html;
  $("#detail-h").textContent = `Row ${d.i}`;
  $("#detail").hidden = false;
  $("#detail").focus();
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch]));
}

// ------------------------------------------------------------------ wiring
let lastCell = null;
function init() {
  const key = sessionStorage.getItem(KEY);
  if (key) $("#api-key").value = key;
  $("#api-key").addEventListener("change", () => { sessionStorage.setItem(KEY, $("#api-key").value.trim()); loadSetup(); });
  $("#setup-form").addEventListener("submit", start);
  $("#starter-btn").addEventListener("click", fitStarter);
  $("#pause").addEventListener("click", () => control({ paused: !stream.paused }));
  $("#rate-live").addEventListener("input", () => { $("#rate-out").textContent = `${sliderToRate(Number($("#rate-live").value))} rows/s`; });
  $("#rate-live").addEventListener("change", () => control({ rate: sliderToRate(Number($("#rate-live").value)) }));
  $("#stop").addEventListener("click", stop);
  $("#cards").addEventListener("click", (ev) => {
    const cell = ev.target.closest("button.cell");
    if (cell) { lastCell = cell.dataset.i; showRow(Number(cell.dataset.i)); }
  });
  $("#detail-close").addEventListener("click", () => {
    $("#detail").hidden = true;
    const back = lastCell && document.querySelector(`button.cell[data-i="${lastCell}"]`);
    (back || $("#pause")).focus();
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && !$("#detail").hidden) $("#detail-close").click();
  });
  loadSetup();
}

init();
