// The trainer page: data and model forms, a training job streamed by SSE, results computed here.
import { mountNav, api, authHeaders, sse, uPlot, lineChart, histogram, vline, decisionMetrics, fmt, COLORS }
  from "/static/app/common.js";

const $ = (id) => document.getElementById(id);
const state = { detectors: {}, upload: null, job: null, es: null, lossChart: null, results: null,
  sorted: [], threshold: null, charts: {}, sample: 0 };

mountNav();
init().catch((e) => { $("job-error").textContent = e.message; });

async function init() {
  const [ds, dets] = await Promise.all([api("/v1/train/datasets"), api("/v1/train/detectors")]);
  const sel = $("dataset");
  for (const d of ds.datasets) {
    const o = new Option(d.present ? d.name : `${d.name} (files missing)`, d.name, d.default, d.default);
    o.disabled = !d.present;
    o.title = d.description;
    sel.append(o);
  }
  for (const d of dets.detectors) state.detectors[d.name] = d;
  for (const name of Object.keys(state.detectors)) $("detector").append(new Option(name, name));
  $("detector").value = "AutoEncoder" in state.detectors ? "AutoEncoder" : Object.keys(state.detectors)[0];
  $("detector").addEventListener("change", renderForm);
  setLayers([32, 16]);
  renderForm();
  sel.addEventListener("change", () => { state.upload = null; $("csv-file").value = "";
    $("label-row").classList.add("hidden"); $("data-error").textContent = ""; });
  $("csv-file").addEventListener("change", uploadCsv);
  for (const [id, out, f] of [["train-size", "train-size-value", (v) => v],
    ["contamination", "contamination-value", (v) => `${Math.round(v * 100)}%`]]) {
    const show = () => { $(out).textContent = f(Number($(id).value)); };
    $(id).addEventListener("input", show);
    show();
  }
  $("add-layer").addEventListener("click", () => { const l = layers(); setLayers([...l, Math.max(2, Math.floor((l.at(-1) || 16) / 2))]); });
  $("latent-dim").addEventListener("input", showArchitecture);
  $("train").addEventListener("click", startJob);
  for (const a of ["pause", "resume", "cancel"]) $(a).addEventListener("click", () => control(a));
  $("threshold").addEventListener("input", () => setThreshold(state.sorted[Number($("threshold").value)]));
  $("threshold-reset").addEventListener("click", () => setThreshold(state.results.threshold, true));
  $("sample-index").addEventListener("change", () => showSample(Number($("sample-index").value)));
  $("next-anomaly").addEventListener("click", nextAnomaly);
  $("save").addEventListener("click", saveModel);
  $("download").addEventListener("click", downloadModel);
  setupBeat();
  state.lossChart = lineChart($("loss-chart"), { xLabel: "epoch", yLabel: "loss", points: true, xIntegers: true,
    series: [{ label: "train loss", stroke: COLORS.accent }, { label: "validation loss", stroke: COLORS.val, dash: [6, 4] }] });
}

// ------------------------------------------------------------------ data
async function uploadCsv() {
  const file = $("csv-file").files[0];
  $("data-error").textContent = "";
  if (!file) return;
  try {
    const up = await api("/v1/train/uploads", { method: "POST", body: await file.text(), headers: { "Content-Type": "text/csv" } });
    state.upload = up;
    const sel = $("label-column");
    sel.replaceChildren(new Option("(no label column)", ""));
    for (const c of up.columns) sel.append(new Option(`${c.name}${c.numeric ? "" : " (text)"}`, c.name));
    const guess = up.columns.find((c) => /^(label|target|class|y|anomaly|outlier)$/i.test(c.name));
    if (guess) sel.value = guess.name;
    $("label-row").classList.remove("hidden");
    $("data-info").textContent = `${file.name}: ${up.rows} rows, ${up.columns.length} columns`;
  } catch (e) {
    state.upload = null;
    $("data-error").textContent = e.message;
  }
}

function dataSpec() {
  const spec = { train_size: Number($("train-size").value), contamination: Number($("contamination").value) };
  if (state.upload) {
    spec.upload = state.upload.id;
    spec.label = $("label-column").value || null;
  } else {
    spec.name = $("dataset").value;
  }
  return spec;
}

// ------------------------------------------------------------------ model form
function layers() {
  return [...$("layers").querySelectorAll("input")].map((i) => Number(i.value)).filter((v) => v > 0);
}

function setLayers(sizes) {
  const ol = $("layers");
  ol.replaceChildren();
  sizes.forEach((size, i) => {
    const li = document.createElement("li");
    li.innerHTML = `<label>Layer ${i + 1} units <input type="number" min="1" max="4096" value="${size}"></label> ` +
      `<button type="button" class="secondary" aria-label="remove layer ${i + 1}">Remove</button>`;
    li.querySelector("input").addEventListener("input", showArchitecture);
    li.querySelector("button").addEventListener("click", () => { const l = layers(); l.splice(i, 1); setLayers(l); });
    ol.append(li);
  });
  showArchitecture();
}

function showArchitecture() {
  const enc = layers(), z = Number($("latent-dim").value);
  $("architecture").textContent = `input → ${[...enc, `[${z}]`, ...[...enc].reverse()].join(" → ")} → output`;
}

// Values the page starts from: quick to train in a browser session.
const PAGE_DEFAULTS = { epochs: 20, patience: null };

function renderForm() {
  const det = state.detectors[$("detector").value];
  $("detector-summary").textContent = det.summary;
  $("composer").classList.toggle("hidden", !det.composer);
  const box = $("params");
  box.replaceChildren();
  for (const f of det.fields) {
    if (det.composer && (f.name === "hidden" || f.name === "latent_dim")) continue;
    const def = f.name in PAGE_DEFAULTS && det.streams ? PAGE_DEFAULTS[f.name] : f.default;
    const id = `p-${f.name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.append(document.createTextNode(f.name.replaceAll("_", " ")));
    let input;
    if (f.kind === "choice") {
      input = document.createElement("select");
      for (const c of f.choices) input.append(new Option(c === null ? "none" : c, JSON.stringify(c)));
      input.value = JSON.stringify(def);
    } else if (f.kind === "bool") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = !!def;
    } else if (f.kind === "int" || f.kind === "float") {
      input = document.createElement("input");
      input.type = "number";
      input.step = f.kind === "int" ? "1" : "any";
      input.value = def;
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.value = f.kind === "str" ? def : (def === null ? "" : JSON.stringify(def));
      input.placeholder = f.kind === "json" ? "auto" : "";
    }
    input.id = id;
    input.dataset.kind = f.kind;
    input.dataset.name = f.name;
    label.append(input);
    box.append(label);
  }
}

function params() {
  const det = state.detectors[$("detector").value];
  const out = {};
  for (const input of $("params").querySelectorAll("[data-name]")) {
    const { kind, name } = input.dataset;
    if (kind === "choice") out[name] = JSON.parse(input.value);
    else if (kind === "bool") out[name] = input.checked;
    else if (kind === "int") out[name] = parseInt(input.value, 10);
    else if (kind === "float") out[name] = Number(input.value);
    else if (kind === "str") out[name] = input.value;
    else if (input.value.trim() === "") out[name] = null;
    else {
      try { out[name] = JSON.parse(input.value); } catch {
        throw new Error(`${name}: "${input.value}" is not valid (write a number, a list such as [16, 8], or leave it empty)`);
      }
    }
  }
  if (det.composer) {
    out.hidden = layers();
    out.latent_dim = Number($("latent-dim").value);
  }
  return out;
}

// ------------------------------------------------------------------ job
function setJobState(s) {
  state.job = s;
  const badge = $("job-state");
  badge.textContent = s.state;
  badge.className = `badge ${s.state}`;
  $("job-message").textContent = s.message || "";
  const active = ["queued", "running", "paused"].includes(s.state);
  $("train").disabled = active;
  $("cancel").disabled = !active;
  $("pause").disabled = !(s.pausable && (s.state === "running" || s.state === "queued") && !s.paused_requested);
  $("resume").disabled = !(s.state === "paused" || (active && s.paused_requested));
}

async function startJob() {
  $("job-error").textContent = "";
  $("data-error").textContent = "";
  let spec;
  try {
    spec = { data: dataSpec(), detector: $("detector").value, params: params(), seed: Number($("seed").value) };
  } catch (e) { $("job-error").textContent = e.message; return; }
  if (state.es) state.es.close();
  state.lossChart.setData([[], [], []]);
  $("epochs-done").textContent = "0";
  $("results").classList.add("hidden");
  try {
    const job = await api("/v1/train/jobs", { method: "POST", json: spec });
    setJobState(job);
    follow(job.id);
  } catch (e) {
    (state.upload ? $("data-error") : $("job-error")).textContent = e.message;
  }
}

function follow(id) {
  const ep = [[], [], []];
  let pending = false;
  state.es = sse(`/v1/train/jobs/${id}/events`, {
    state: (s) => { setJobState(s); if (s.state === "failed") $("job-error").textContent = s.message; },
    data: (d) => {
      const i = d.info || {};
      $("data-info").textContent = `${d.n_train} training rows, ${d.n_test} test rows, ${d.n_features} features` +
        (i.moved_from_test ? ` (${i.moved_from_test} labelled anomalies moved from the test rows into training)` : "");
    },
    epoch: (e) => {
      ep[0].push(e.epoch); ep[1].push(e.loss); ep[2].push(e.val_loss);
      // epochs of a small model arrive faster than frames: draw at most once per frame
      if (!pending) {
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          state.lossChart.setData(ep);
          $("epochs-done").textContent = String(ep[0].length);
        });
      }
    },
    end: async (s) => {
      state.es.close();
      setJobState(s);
      if (s.state === "done") {
        const full = await api(`/v1/train/jobs/${id}`);
        showResults(full.results);
      }
    },
  });
}

async function control(action) {
  try { setJobState(await api(`/v1/train/jobs/${state.job.id}/${action}`, { method: "POST" })); } catch (e) {
    $("job-error").textContent = e.message;
  }
}

// ------------------------------------------------------------------ results
function rocPr(scores, labels) {
  // thresholds at every distinct score, highest first (ties grouped, as scikit-learn does)
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const P = labels.reduce((a, b) => a + b, 0), N = labels.length - P;
  const fpr = [0], tpr = [0], prec = [1], rec = [0];
  let tp = 0, fp = 0, auc = 0, ap = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (labels[i] === 1) tp++; else fp++;
    if (k + 1 < idx.length && scores[idx[k + 1]] === scores[i]) continue;
    const x = N ? fp / N : 0, y = P ? tp / P : 0;
    auc += (x - fpr.at(-1)) * (y + tpr.at(-1)) / 2;
    const p = tp / (tp + fp);
    ap += (y - rec.at(-1)) * p;
    fpr.push(x); tpr.push(y); prec.push(p); rec.push(y);
  }
  return { fpr, tpr, prec, rec, auc: P && N ? auc : NaN, ap: P && N ? ap : NaN };
}

function destroyCharts() {
  for (const c of Object.values(state.charts)) c.destroy();
  state.charts = {};
  for (const id of ["hist-chart", "roc-chart", "pr-chart", "sample-chart", "error-chart", "codes-chart", "beat-chart"]) $(id).replaceChildren();
}

function showResults(r) {
  state.results = r;
  $("results").classList.remove("hidden");
  destroyCharts();
  const scores = r.scores, labels = r.labels;
  state.sorted = [...scores].sort((a, b) => a - b);
  $("threshold").max = String(state.sorted.length - 1);
  // equal scores (a model that cannot tell rows apart) still get a visible range
  const pad = state.sorted.at(-1) - state.sorted[0] > 1e-12 * Math.max(1, Math.abs(state.sorted[0])) ? 0 : 0.5;
  const lo = state.sorted[0] - pad, hi = state.sorted.at(-1) + pad;
  const bins = 40, edges = Array.from({ length: bins }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / bins);
  const series = [{ label: "x" }];
  const data = [edges];
  const bars = uPlot.paths.bars({ size: [0.9, 60] });
  if (labels) {
    data.push(histogram(scores.filter((_, i) => labels[i] === 0), lo, hi, bins));
    data.push(histogram(scores.filter((_, i) => labels[i] === 1), lo, hi, bins));
    series.push({ label: "normal", fill: "rgba(31,95,191,0.45)", stroke: COLORS.normal, paths: bars, points: { show: false } },
      { label: "anomaly", fill: "rgba(192,54,44,0.45)", stroke: COLORS.anomaly, paths: bars, points: { show: false } });
  } else {
    data.push(histogram(scores, lo, hi, bins));
    series.push({ label: "all rows", fill: "rgba(91,101,115,0.5)", stroke: COLORS.grey, paths: bars, points: { show: false } });
  }
  const el = $("hist-chart");
  state.charts.hist = new uPlot({ width: Math.max(280, el.clientWidth - 4), height: 220, series,
    scales: { x: { time: false, range: [lo, hi] } }, axes: [{ label: "score" }, { label: "rows" }],
    plugins: [vline(() => state.threshold)] }, data, el);
  const haveLabels = !!labels && labels.some((v) => v === 1) && labels.some((v) => v === 0);
  for (const id of ["cm", "roc-chart", "pr-chart"]) $(id).closest(".panel").classList.toggle("hidden", !haveLabels);
  if (haveLabels) {
    const c = rocPr(scores, labels);
    $("roc-auc").textContent = fmt(c.auc, 4);
    $("roc-auc").dataset.value = String(c.auc);
    $("pr-auc").textContent = fmt(c.ap, 4);
    $("pr-auc").dataset.value = String(c.ap);
    state.charts.roc = lineChart($("roc-chart"), { xLabel: "false positive rate", yLabel: "true positive rate",
      series: [{ label: "ROC", stroke: COLORS.accent }], data: [c.fpr, c.tpr], xRange: [0, 1] });
    const order = c.rec.map((_, i) => i);
    state.charts.pr = lineChart($("pr-chart"), { xLabel: "recall", yLabel: "precision",
      series: [{ label: "precision", stroke: COLORS.val }], data: [order.map((i) => c.rec[i]), order.map((i) => c.prec[i])], xRange: [0, 1] });
  }
  setThreshold(r.threshold, true);
  document.querySelectorAll(".recon-only").forEach((e) => e.classList.toggle("hidden", !r.reconstruction));
  document.querySelectorAll(".codes-only").forEach((e) => e.classList.toggle("hidden", !r.codes));
  if (r.reconstruction) {
    $("sample-index").max = String(r.n_test - 1);
    showSample(labels ? Math.max(0, labels.indexOf(1)) : 0);
  }
  if (r.codes) showCodes(r);
  const beat = r.reconstruction && r.n_features === 140 && (r.info || {}).dataset === "ecg5000";
  $("beat-panel").classList.toggle("hidden", !beat);
  if (beat) { clearBeat(); state.charts.beat = lineChart($("beat-chart"), { xLabel: "point", yLabel: "value",
    series: [{ label: "your beat", stroke: COLORS.line }, { label: "reconstruction", stroke: COLORS.val, dash: [6, 4] }] }); }
  $("save-result").textContent = "";
}

function setThreshold(t, exact = false) {
  state.threshold = t;
  if (exact) {
    // the slider position nearest to t (t itself is shown and used)
    let k = state.sorted.findIndex((s) => s >= t);
    if (k < 0) k = state.sorted.length - 1;
    $("threshold").value = String(k);
  }
  $("threshold-value").textContent = fmt(t, 4);
  $("threshold-value").dataset.value = String(t);
  $("threshold").setAttribute("aria-valuetext", `threshold ${fmt(t, 4)}`);
  if (state.charts.hist) state.charts.hist.redraw(false);
  const r = state.results;
  if (!r.labels) return;
  const m = decisionMetrics(r.scores, r.labels, t);
  for (const k of ["tp", "fp", "tn", "fn"]) $(`cm-${k}`).textContent = String(m[k]);
  for (const k of ["accuracy", "precision", "recall", "f1", "fpr", "tpr"]) {
    $(`m-${k}`).textContent = fmt(m[k], 3);
    $(`m-${k}`).dataset.value = String(m[k]);
  }
}

async function showSample(i) {
  const r = state.results;
  i = Math.min(Math.max(0, i | 0), r.n_test - 1);
  $("sample-index").value = String(i);
  state.sample = i;
  const s = await api(`/v1/train/jobs/${state.job.id}/samples/${i}`);
  const xs = s.input.map((_, k) => k);
  $("sample-info").textContent = `score ${fmt(s.score, 4)} · ${s.label === null ? "no label" : s.label ? "anomaly" : "normal"} · ` +
    `${s.score > state.threshold ? "flagged" : "passed"}`;
  if (!state.charts.sample) {
    state.charts.sample = lineChart($("sample-chart"), { xLabel: "feature", yLabel: "value",
      series: [{ label: "input", stroke: COLORS.line }, { label: "reconstruction", stroke: COLORS.val, dash: [6, 4] }] });
    state.charts.err = lineChart($("error-chart"), { xLabel: "feature", yLabel: "squared error (scaled)", height: 160,
      series: [{ label: "error", stroke: COLORS.anomaly, fill: "rgba(192,54,44,0.35)", paths: uPlot.paths.bars({ size: [0.8, 30] }) }] });
  }
  state.charts.sample.setData([xs, s.input, s.reconstruction]);
  state.charts.err.setData([xs, s.feature_errors]);
}

function nextAnomaly() {
  const r = state.results;
  if (!r.labels) return showSample(state.sample + 1);
  for (let k = 1; k <= r.n_test; k++) {
    const i = (state.sample + k) % r.n_test;
    if (r.labels[i] === 1) return showSample(i);
  }
}

function showCodes(r) {
  $("codes-how").textContent = r.codes.how;
  const el = $("codes-chart");
  const lab = r.labels ? r.codes.index.map((i) => r.labels[i]) : r.codes.index.map(() => 0);
  // uPlot draws each series over the shared x values: one series per class, null elsewhere
  const order = r.codes.x.map((_, i) => i).sort((a, b) => r.codes.x[a] - r.codes.x[b]);
  const xs = order.map((i) => r.codes.x[i]);
  const ys0 = order.map((i) => (lab[i] === 0 ? r.codes.y[i] : null));
  const ys1 = order.map((i) => (lab[i] === 1 ? r.codes.y[i] : null));
  const dots = (color) => ({ stroke: color, fill: color, paths: () => null, points: { show: true, size: 5, fill: color, stroke: color } });
  state.charts.codes = new uPlot({ width: Math.max(280, el.clientWidth - 4), height: 260,
    scales: { x: { time: false } }, axes: [{ label: "code 1" }, { label: "code 2" }],
    series: [{}, { label: "normal", ...dots(COLORS.normal) }, { label: "anomaly", ...dots(COLORS.anomaly) }] },
  [xs, ys0, ys1], el);
}

// ------------------------------------------------------------------ draw your own beat
const beat = { points: [], drawing: false };

function setupBeat() {
  const cv = $("beat-canvas");
  const pos = (ev) => { const b = cv.getBoundingClientRect();
    return [(ev.clientX - b.left) * (cv.width / b.width), (ev.clientY - b.top) * (cv.height / b.height)]; };
  cv.addEventListener("pointerdown", (ev) => { beat.drawing = true; beat.points = [pos(ev)]; cv.setPointerCapture(ev.pointerId); drawBeat(); });
  cv.addEventListener("pointermove", (ev) => { if (beat.drawing) { beat.points.push(pos(ev)); drawBeat(); } });
  cv.addEventListener("pointerup", () => { beat.drawing = false; scoreBeat(); });
  $("beat-clear").addEventListener("click", clearBeat);
  $("beat-normal").addEventListener("click", () => {
    const r = state.results;
    beat.points = r.normal_mean.map((v, i) => [(i / 139) * cv.width, toY(v)]);
    drawBeat();
    scoreBeat();
  });
}

function range() { const r = state.results; const pad = 0.05 * (r.x_max - r.x_min); return [r.x_min - pad, r.x_max + pad]; }
function toY(v) { const [lo, hi] = range(); return $("beat-canvas").height * (1 - (v - lo) / (hi - lo)); }
function fromY(y) { const [lo, hi] = range(); return lo + (1 - y / $("beat-canvas").height) * (hi - lo); }

function clearBeat() {
  beat.points = [];
  drawBeat();
  $("beat-result").textContent = "";
}

function drawBeat() {
  const cv = $("beat-canvas"), ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  ctx.strokeStyle = "#d5d9de";
  ctx.beginPath(); ctx.moveTo(0, cv.height / 2); ctx.lineTo(cv.width, cv.height / 2); ctx.stroke();
  if (beat.points.length < 2) return;
  ctx.strokeStyle = COLORS.line;
  ctx.lineWidth = 2;
  ctx.beginPath();
  beat.points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.stroke();
}

/** The drawing as 140 values: points sorted by x, linearly interpolated on an even grid. */
export function resample(points, width, n = 140) {
  const pts = [...points].sort((a, b) => a[0] - b[0]);
  const out = [];
  for (let k = 0; k < n; k++) {
    const x = (k / (n - 1)) * width;
    let j = pts.findIndex((p) => p[0] >= x);
    if (j < 0) j = pts.length - 1;
    if (j === 0 || pts[j][0] === x) { out.push(pts[j][1]); continue; }
    const [x0, y0] = pts[j - 1], [x1, y1] = pts[j];
    out.push(y0 + ((y1 - y0) * (x - x0)) / (x1 - x0 || 1));
  }
  return out;
}

async function scoreBeat() {
  if (beat.points.length < 2) return;
  const values = resample(beat.points, $("beat-canvas").width).map(fromY);
  try {
    const s = await api(`/v1/train/jobs/${state.job.id}/score`, { method: "POST", json: { rows: [values] } });
    const score = s.scores[0];
    const el = $("beat-result");
    el.textContent = `score ${fmt(score, 4)} · ${s.labels[0] ? "flagged as abnormal" : "passes as normal"} (threshold ${fmt(state.threshold, 4)})`;
    el.dataset.score = String(score);
    state.charts.beat.setData([values.map((_, i) => i), values, s.reconstructions[0]]);
  } catch (e) {
    $("beat-result").textContent = e.message;
  }
}

// ------------------------------------------------------------------ save
async function saveModel() {
  const name = $("save-name").value.trim();
  try {
    const m = await api(`/v1/train/jobs/${state.job.id}/save`, { method: "POST", json: { name } });
    $("save-result").textContent = `${m.replaced ? "replaced" : "saved"} model ${m.name}: score it with POST /v1/models/${m.name}/score or pick it on the Live page`;
    $("save-result").className = "ok";
  } catch (e) {
    $("save-result").textContent = e.message;
    $("save-result").className = "error";
  }
}

async function downloadModel() {
  const r = await fetch(`/v1/train/jobs/${state.job.id}/model`, { headers: authHeaders() });
  if (!r.ok) { $("save-result").textContent = `download failed: ${r.status}`; return; }
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = `${$("save-name").value.trim() || "model"}.genad`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}
