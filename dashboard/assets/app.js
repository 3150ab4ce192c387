// zerorl dashboard: polls the run folders' metrics.jsonl (by byte offset, so only new rows
// travel), draws every chart on a canvas (per-pixel-column min/max decimation keeps 100k
// points fast), and browses samples.jsonl. No libraries, nothing from the network.
'use strict';

const POLL_MS = 2000;
const PAGE_SIZE = 25;
const COLORS = ['#2f6fdf', '#e4572e', '#17a398', '#9b5de5', '#f2a541', '#d7263d', '#3d9970',
                '#5f6caf', '#c44d8b', '#7a8b99'];
const DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3], [1, 2]];

// Charts: `keys` are exact metric names; `match` picks names by pattern; `per` splits one chart
// per value of the pattern's first group (a chart per reward function, per eval dataset).
const CHART_SPECS = [
  {id: 'reward', title: 'Reward (total)', keys: ['reward/mean']},
  {id: 'accuracy', title: 'Accuracy', keys: ['accuracy'], match: /^reward\/[^/]*accura[^/]*\/mean$/},
  {id: 'reward-fn', title: 'Reward · $1', match: /^reward\/(.+)\/mean$/, per: true},
  {id: 'eval', title: 'Eval · $1', match: /^eval\/(.+)\/((pass|maj)@\d+)$/, per: true},
  {id: 'length', title: 'Completion length (tokens)', keys: ['completions/mean_length', 'completions/max_length']},
  {id: 'clipped', title: 'Completions clipped at max length', keys: ['completions/clipped_ratio']},
  {id: 'kl', title: 'KL to reference', keys: ['kl']},
  {id: 'entropy', title: 'Entropy', keys: ['entropy']},
  {id: 'clip', title: 'Clip ratios', match: /^clip_ratio\//},
  {id: 'loss', title: 'Loss', keys: ['loss']},
  {id: 'grad-norm', title: 'Grad norm', keys: ['grad_norm']},
  {id: 'lr', title: 'Learning rate', keys: ['lr']},
  {id: 'tokens', title: 'Tokens / s', keys: ['throughput/tokens_per_s', 'throughput/learner_tokens_per_s']},
  {id: 'timing', title: 'Time per phase (s)',
   match: /^timing\/(step|generate|reward|learner|weight_sync|eval|wait)_s$/},
  {id: 'lag', title: 'Policy lag (versions)', keys: ['async/policy_lag_max', 'async/policy_lag_mean']},
  {id: 'stale', title: 'Dropped stale samples', keys: ['async/dropped_stale', 'sampling/stale_samples']},
  {id: 'sft', title: 'Cold-start SFT loss', keys: ['sft/loss']},
];

const state = {
  runs: new Map(),      // name -> Run
  order: [],            // run names as listed
  smoothing: 0.6,
  xaxis: 'step',
  extraCharts: [],      // metric names added by hand
  charts: new Map(),    // chart id -> {el, canvas, legend, title, keys, spec, points}
  drawPending: false,
  samplesPage: 0,
  samplesRun: '',
  samplesTotal: 0,
};

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};

// ---------------------------------------------------------------------------------------
// Data: one Run per folder, its metrics as sparse columns (row index + value per key).

class Run {
  constructor(name, color) {
    this.name = name;
    this.color = color;
    this.selected = false;
    this.offset = 0;
    this.steps = [];     // x for the step axis, per row
    this.times = [];     // seconds since the run's first timed row, or NaN
    this.t0 = NaN;
    this.series = new Map();  // key -> {idx: [], val: []}
    this.cache = new Map();   // points() results
    this.malformed = 0;
    this.firstError = '';
    this.finished = false;
    this.samplesMalformed = 0;
    this.samplesError = '';
  }

  reset() {
    this.offset = 0; this.steps = []; this.times = []; this.t0 = NaN; this.series = new Map(); this.cache = new Map();
    this.malformed = 0; this.firstError = '';
  }

  addRow(row) {
    const i = this.steps.length;
    const step = typeof row.step === 'number' ? row.step : typeof row.sft_step === 'number' ? row.sft_step : i;
    this.steps.push(step);
    let t = NaN;
    if (typeof row.time === 'number') {
      if (Number.isNaN(this.t0)) this.t0 = row.time - (typeof row.elapsed_s === 'number' ? row.elapsed_s : 0);
      t = row.time - this.t0;
    }
    this.times.push(t);
    for (const key in row) {
      const v = row[key];
      if (typeof v !== 'number' || key === 'step' || key === 'time') continue;
      let s = this.series.get(key);
      if (!s) { s = {idx: [], val: []}; this.series.set(key, s); }
      s.idx.push(i);
      s.val.push(v);
    }
  }

  // x and y of `key` on the axis, finite points only, with their bounds; cached until new
  // rows arrive.
  points(key, xaxis) {
    const cacheKey = `${xaxis}\u0000${key}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.rows === this.steps.length) return cached;
    const s = this.series.get(key);
    const xsrc = xaxis === 'time' ? this.times : this.steps;
    const n = s ? s.idx.length : 0;
    const xs = new Float64Array(n), ys = new Float64Array(n);
    let m = 0, x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let k = 0; k < n; k++) {
      const x = xsrc[s.idx[k]], y = s.val[k];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xs[m] = x; ys[m] = y; m++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    const out = {xs: xs.subarray(0, m), ys: ys.subarray(0, m), x0, x1, y0, y1, rows: this.steps.length,
                 smoothWeight: -1, smooth: null};
    this.cache.set(cacheKey, out);
    return out;
  }
}

async function getJson(url) {
  const res = await fetch(url, {cache: 'no-store'});
  const body = await res.json().catch(() => ({error: `HTTP ${res.status}: not JSON`}));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

async function refreshRuns() {
  const list = await getJson('/api/runs');
  let added = false;
  for (const info of list.runs) {
    let run = state.runs.get(info.name);
    if (!run) {
      run = new Run(info.name, COLORS[state.runs.size % COLORS.length]);
      // ?runs=a,b picks the runs to show; otherwise the first few start selected.
      run.selected = state.urlRuns ? state.urlRuns.includes(info.name) : state.runs.size < 4;
      state.runs.set(info.name, run);
      added = true;
    }
    run.finished = info.finished;
    run.hasSamples = info.samples_bytes > 0;
  }
  state.order = list.runs.map(r => r.name);
  renderRunList();
  if (added) renderSampleRunChoices();
}

// Reads every new row of a run's metrics.jsonl; true when rows arrived.
async function pollMetrics(run) {
  let changed = false;
  for (let guard = 0; guard < 1000; guard++) {
    const chunk = await getJson(`/api/runs/${encodeURIComponent(run.name)}/metrics?offset=${run.offset}`);
    if (chunk.reset) { run.reset(); changed = true; }
    for (const row of chunk.rows) run.addRow(row);
    if (chunk.malformed) {
      run.malformed += chunk.malformed;
      if (!run.firstError) run.firstError = chunk.first_error;
    }
    changed = changed || chunk.rows.length > 0;
    const progressed = chunk.next_offset > run.offset || chunk.reset;
    run.offset = chunk.next_offset;
    if (!progressed || chunk.next_offset >= chunk.file_size) break;
  }
  return changed;
}

async function poll() {
  try {
    await refreshRuns();
    let changed = false;
    for (const run of state.runs.values()) {
      if (run.selected) changed = (await pollMetrics(run)) || changed;
    }
    if (changed) { rebuildCharts(); scheduleDraw(); renderWarnings(); refreshSamplesIfLive(); }
    $('#status').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    $('#status').textContent = `update failed: ${err.message}`;
  }
  setTimeout(poll, POLL_MS);
}

// ---------------------------------------------------------------------------------------
// Run list, warnings.

function renderRunList() {
  const box = $('#runs');
  box.textContent = '';
  if (state.order.length === 0) box.append(el('span', {class: 'state', text: 'no runs yet (folders with metrics.jsonl)'}));
  for (const name of state.order) {
    const run = state.runs.get(name);
    const box_ = el('input', {type: 'checkbox'});
    box_.checked = run.selected;
    box_.addEventListener('change', async () => {
      run.selected = box_.checked;
      if (run.selected) await pollMetrics(run).catch(() => {});
      rebuildCharts(); scheduleDraw(); renderWarnings(); renderSampleRunChoices();
    });
    const swatch = el('span', {class: 'swatch'});
    swatch.style.background = run.color;
    box.append(el('label', {class: 'run', 'data-run': name}, box_, swatch, name,
                  el('span', {class: 'state', text: run.finished ? 'done' : 'live'})));
  }
}

function renderWarnings() {
  const box = $('#warnings');
  box.textContent = '';
  for (const run of state.runs.values()) {
    if (!run.selected) continue;
    if (run.malformed) {
      box.append(el('div', {class: 'warning', 'data-malformed': run.malformed,
        text: `${run.name}: ${run.malformed} malformed line(s) in metrics.jsonl skipped (first at ${run.firstError})`}));
    }
    if (run.samplesMalformed) {
      box.append(el('div', {class: 'warning', 'data-malformed': run.samplesMalformed,
        text: `${run.name}: ${run.samplesMalformed} malformed line(s) in samples.jsonl skipped (${run.samplesError})`}));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Charts.

function selectedRuns() { return state.order.map(n => state.runs.get(n)).filter(r => r && r.selected); }

function allKeys() {
  const keys = new Set();
  for (const run of selectedRuns()) for (const k of run.series.keys()) keys.add(k);
  return [...keys].sort();
}

// The chart list for the keys present now: [{id, title, keys}] in CHART_SPECS order.
function chartPlan(keys) {
  const plan = [];
  for (const spec of CHART_SPECS) {
    if (spec.per) {
      const groups = new Map();
      for (const k of keys) {
        const m = spec.match.exec(k);
        if (m) { if (!groups.has(m[1])) groups.set(m[1], []); groups.get(m[1]).push(k); }
      }
      for (const [g, ks] of groups) plan.push({id: `${spec.id}-${g}`, title: spec.title.replace('$1', g), keys: ks});
      if (groups.size === 0) plan.push({id: spec.id, title: spec.title.replace(' · $1', ''), keys: []});
      continue;
    }
    const ks = (spec.keys || []).filter(k => keys.includes(k));
    if (spec.match) for (const k of keys) if (spec.match.test(k) && !ks.includes(k)) ks.push(k);
    plan.push({id: spec.id, title: spec.title, keys: ks});
  }
  for (const k of state.extraCharts) plan.push({id: `extra-${k}`, title: k, keys: [k], extra: true});
  return plan;
}

function rebuildCharts() {
  const keys = allKeys();
  const plan = chartPlan(keys);
  const box = $('#charts');
  const keep = new Set(plan.map(p => p.id));
  for (const [id, chart] of state.charts) if (!keep.has(id)) { chart.el.remove(); state.charts.delete(id); }
  let previous = null;
  for (const p of plan) {
    let chart = state.charts.get(p.id);
    if (!chart) chart = makeChart(p);
    chart.keys = p.keys;
    chart.title.textContent = p.title;
    chart.el.dataset.keys = p.keys.join(',');
    // Keep DOM order = plan order.
    if (previous ? previous.nextSibling !== chart.el : box.firstChild !== chart.el) {
      if (previous) previous.after(chart.el); else box.prepend(chart.el);
    }
    previous = chart.el;
  }
  const select = $('#add-chart');
  const chosen = new Set(plan.flatMap(p => p.keys));
  select.length = 1;
  for (const k of keys) if (!chosen.has(k)) select.append(el('option', {value: k, text: k}));
}

function makeChart(p) {
  const title = el('span');
  const h3 = el('h3', {}, title);
  if (p.extra) {
    const close = el('span', {class: 'close', title: 'remove', text: '×'});
    close.addEventListener('click', () => {
      state.extraCharts = state.extraCharts.filter(k => `extra-${k}` !== p.id);
      rebuildCharts(); scheduleDraw();
    });
    h3.append(close);
  }
  const canvas = el('canvas');
  const legend = el('div', {class: 'legend'});
  const crosshair = el('div', {class: 'crosshair'});
  crosshair.hidden = true;
  const box = el('div', {class: 'chart empty', id: `chart-${p.id}`, 'data-chart': p.id, 'data-points': '0'},
                 h3, legend, canvas, crosshair);
  const chart = {el: box, canvas, legend, title, crosshair, keys: p.keys, drawn: null};
  canvas.addEventListener('mousemove', e => hover(chart, e));
  canvas.addEventListener('mouseleave', () => { $('#tooltip').hidden = true; crosshair.hidden = true; });
  state.charts.set(p.id, chart);
  return chart;
}

function scheduleDraw() {
  if (state.drawPending) return;
  state.drawPending = true;
  const draw = () => { if (state.drawPending) { state.drawPending = false; drawAll(); } };
  requestAnimationFrame(draw);
  setTimeout(draw, 100);  // a hidden or headless page may not run animation frames
}

function drawAll() {
  const start = performance.now();
  for (const chart of state.charts.values()) drawChart(chart);
  $('#charts').dataset.drawMs = (performance.now() - start).toFixed(1);  // for benchmarks
}

// TensorBoard's smoothing: an EMA debiased for its zero start.
function smooth(ys, weight) {
  if (weight <= 0) return ys;
  const out = new Float64Array(ys.length);
  let last = 0, debias = 1;
  for (let i = 0; i < ys.length; i++) {
    last = last * weight + (1 - weight) * ys[i];
    debias *= weight;
    out[i] = last / (1 - debias);
  }
  return out;
}

function niceTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

function formatValue(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  if (a >= 100) return v.toFixed(0);
  return +v.toPrecision(3) + '';
}

function formatX(v) {
  if (state.xaxis === 'step') return Number.isInteger(v) ? `${v}` : v.toFixed(1);
  if (v < 120) return `${Math.round(v)}s`;
  if (v < 7200) return `${+(v / 60).toFixed(1)}m`;
  return `${+(v / 3600).toFixed(1)}h`;
}

// Pixel-column decimation: per column keep the first, lowest, highest and last point (in x
// order), so the drawn line has the envelope of the full series at any number of points.
// Returns pixel coordinates [px, py].
function decimate(xs, ys, sx, sy) {
  const px = [], py = [];
  const n = xs.length;
  if (n === 0) return [px, py];
  const emit = i => { px.push(sx(xs[i])); py.push(sy(ys[i])); };
  // The pixel column of x, without a call per point: sx is linear.
  const c0 = sx(0), scale = sx(1) - c0;
  let col = Math.floor(c0 + xs[0] * scale), first = 0, last = 0, lo = 0, hi = 0;
  const flush = () => {
    emit(first);
    const a = Math.min(lo, hi), b = Math.max(lo, hi);
    if (a !== first) emit(a);
    if (b !== a && b !== first) emit(b);
    if (last !== b && last !== first) emit(last);
  };
  for (let i = 1; i < n; i++) {
    const c = Math.floor(c0 + xs[i] * scale);
    if (c !== col) { flush(); col = c; first = last = lo = hi = i; continue; }
    last = i;
    if (ys[i] < ys[lo]) lo = i;
    if (ys[i] > ys[hi]) hi = i;
  }
  flush();
  return [px, py];
}

function drawChart(chart) {
  // One run: a colour per key. Several runs: the run's colour, a dash pattern per key.
  const runs = selectedRuns();
  const series = [];
  let points = 0;
  chart.keys.forEach((key, k) => {
    for (const run of runs) {
      const p = run.points(key, state.xaxis);
      if (p.xs.length === 0) continue;
      points += p.xs.length;
      if (p.smoothWeight !== state.smoothing) { p.smooth = smooth(p.ys, state.smoothing); p.smoothWeight = state.smoothing; }
      series.push({run, key, k, xs: p.xs, ys: p.ys, smooth: p.smooth, bounds: p});
    }
  });
  const single = new Set(series.map(s => s.run)).size === 1 && chart.keys.length > 1;
  for (const s of series) {
    s.color = single ? COLORS[s.k % COLORS.length] : s.run.color;
    s.dash = single ? [] : DASHES[s.k % DASHES.length];
  }
  chart.el.dataset.points = String(points);
  chart.el.classList.toggle('empty', points === 0 && !chart.el.id.startsWith('chart-extra-'));
  chart.drawn = null;
  renderLegend(chart, series);
  if (points === 0) return;

  const canvas = chart.canvas;
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 380, h = canvas.clientHeight || 190;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);

  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) {
    x0 = Math.min(x0, s.bounds.x0); x1 = Math.max(x1, s.bounds.x1);
    y0 = Math.min(y0, s.bounds.y0); y1 = Math.max(y1, s.bounds.y1);
  }
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { const d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
  const pad = (y1 - y0) * 0.06;
  y0 -= pad; y1 += pad;
  const left = 46, right = 8, top = 6, bottom = 20;
  const pw = w - left - right, ph = h - top - bottom;
  const sx = x => left + (x - x0) / (x1 - x0) * pw;
  const sy = y => top + (1 - (y - y0) / (y1 - y0)) * ph;

  ctx.font = '10px system-ui, sans-serif';
  ctx.strokeStyle = '#eef0f3';
  ctx.fillStyle = '#6b7484';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of niceTicks(y0, y1, 4)) {
    const y = Math.round(sy(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - right, y); ctx.stroke();
    ctx.fillText(formatValue(t), left - 4, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(pw / 70)))) {
    const x = Math.round(sx(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke();
    ctx.textAlign = x > w - right - 14 ? 'right' : 'center';
    ctx.fillText(formatX(t), Math.min(x, w - 1), top + ph + 4);
  }

  ctx.save();
  ctx.beginPath(); ctx.rect(left, top, pw, ph); ctx.clip();
  for (const s of series) {
    const smoothed = state.smoothing > 0;
    if (smoothed) strokeLine(ctx, decimate(s.xs, s.ys, sx, sy), s.color, s.dash, 1, 0.25);
    strokeLine(ctx, decimate(s.xs, s.smooth, sx, sy), s.color, s.dash, 1.6, 1);
    if (s.xs.length <= 40) {  // few points (eval every N steps): show each one
      ctx.fillStyle = s.color;
      for (let i = 0; i < s.xs.length; i++) {
        ctx.beginPath(); ctx.arc(sx(s.xs[i]), sy(s.smooth[i]), 2.2, 0, 2 * Math.PI); ctx.fill();
      }
    }
  }
  ctx.restore();
  chart.drawn = {series, sx, sy, x0, x1, left, pw};
}

function strokeLine(ctx, [dx, dy], color, dash, width, alpha) {
  ctx.strokeStyle = color;
  ctx.globalAlpha = alpha;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  for (let i = 0; i < dx.length; i++) i ? ctx.lineTo(dx[i], dy[i]) : ctx.moveTo(dx[i], dy[i]);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
}

// The last path component of each key, unless two keys would then read the same.
function shortNames(keys) {
  const short = keys.map(k => k.slice(k.lastIndexOf('/') + 1));
  return new Set(short).size === short.length ? short : keys;
}

// Run colours are in the header, so the legend names keys (by dash) and, for one run, shows
// its colour; with several runs and one key it names the runs.
function renderLegend(chart, series) {
  chart.legend.textContent = '';
  const runs = [...new Set(series.map(s => s.run))];
  const keys = [...new Set(series.map(s => s.key))];
  const names = shortNames(keys);
  const item = (color, dash, label) => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('width', '18'); svg.setAttribute('height', '6');
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    for (const [k, v] of Object.entries({x1: 0, y1: 3, x2: 18, y2: 3, stroke: color, 'stroke-width': 2,
                                          'stroke-dasharray': dash.join(' ')})) line.setAttribute(k, v);
    svg.append(line);
    chart.legend.append(el('span', {title: label}, svg, label));
  };
  if (keys.length > 1) {
    for (const s of series) {
      if (s.run !== runs[0] && runs.length > 1) continue;
      item(runs.length > 1 ? '#555' : s.color, s.dash, names[keys.indexOf(s.key)]);
    }
  } else if (runs.length > 1) {
    for (const r of runs) item(r.color, [], r.name);
  } else if (series.length) {
    item(series[0].run.color, [], keys[0]);
  }
}

function nearest(xs, x) {
  let lo = 0, hi = xs.length - 1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid; else hi = mid; }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}

function hover(chart, e) {
  const d = chart.drawn;
  const tip = $('#tooltip');
  if (!d) { tip.hidden = true; return; }
  const rect = chart.canvas.getBoundingClientRect();
  const x = d.x0 + (e.clientX - rect.left - d.left) / d.pw * (d.x1 - d.x0);
  tip.textContent = '';
  let shownX = null;
  for (const s of d.series) {
    const i = nearest(s.xs, x);
    shownX = shownX === null ? s.xs[i] : shownX;
    const swatch = el('span', {class: 'swatch'});
    swatch.style.background = s.color;
    const value = state.smoothing > 0 ? `${formatValue(s.smooth[i])} (raw ${formatValue(s.ys[i])})` : formatValue(s.ys[i]);
    tip.append(el('div', {}, swatch, `${s.run.name} · ${s.key}: ${value}`));
  }
  tip.prepend(el('div', {text: `${state.xaxis === 'step' ? 'step' : 'time'} ${formatX(shownX)}`}));
  tip.hidden = false;
  tip.style.left = `${Math.min(e.clientX + 14, window.innerWidth - 370)}px`;
  tip.style.top = `${e.clientY + 12}px`;
  chart.crosshair.hidden = false;
  chart.crosshair.style.left = `${d.sx(shownX) + chart.canvas.offsetLeft}px`;
}

// ---------------------------------------------------------------------------------------
// Samples browser.

function renderSampleRunChoices() {
  const select = $('#sample-filters [name=run]');
  const runs = selectedRuns().filter(r => r.hasSamples);
  const current = select.value;
  select.textContent = '';
  for (const r of runs) select.append(el('option', {value: r.name, text: r.name}));
  if (runs.some(r => r.name === current)) select.value = current;
  if (select.value !== state.samplesRun) { state.samplesPage = 0; state.groupShown = false; loadSamples(); }
}

function filterParams() {
  const form = $('#sample-filters');
  const params = new URLSearchParams();
  for (const name of ['step', 'split', 'function', 'min_reward', 'max_reward', 'prompt', 'order']) {
    const v = form.elements[name].value;
    if (v !== '') params.set(name, v);
  }
  params.set('offset', String(state.samplesPage * PAGE_SIZE));
  params.set('limit', String(PAGE_SIZE));
  return params;
}

function fillSelect(select, values, allLabel) {
  const current = select.value;
  select.textContent = '';
  select.append(el('option', {value: '', text: allLabel}));
  for (const v of values) select.append(el('option', {value: String(v), text: String(v)}));
  select.value = values.map(String).includes(current) ? current : '';
}

async function loadSamples() {
  const run = $('#sample-filters [name=run]').value;
  state.samplesRun = run;
  const table = $('#sample-table');
  const section = $('#samples');
  if (!run) {
    table.tHead.textContent = ''; table.tBodies[0].textContent = '';
    $('#page-info').textContent = 'no samples.jsonl in the selected runs';
    section.dataset.samples = '0';
    return;
  }
  let data;
  try {
    data = await getJson(`/api/runs/${encodeURIComponent(run)}/samples?${filterParams()}`);
  } catch (err) {
    $('#page-info').textContent = `samples: ${err.message}`;
    return;
  }
  const r = state.runs.get(run);
  if (r && (r.samplesMalformed !== data.malformed)) {
    r.samplesMalformed = data.malformed; r.samplesError = data.first_error; renderWarnings();
  }
  const form = $('#sample-filters');
  fillSelect(form.elements.step, [...data.steps].reverse(), 'all');
  fillSelect(form.elements.split, data.splits, 'all');
  fillSelect(form.elements.function, data.functions, 'total reward');
  state.samplesTotal = data.total;
  const first = data.total ? data.offset + 1 : 0;
  $('#page-info').textContent = `${first}–${data.offset + data.samples.length} of ${data.total} (${data.count} logged)`;
  renderSampleTable(data.functions, data.samples);
  section.dataset.samples = String(data.samples.length);
  // Master-detail: the first listed sample's group is open until the user picks another.
  if (data.samples.length && !state.groupShown) {
    state.groupShown = true;
    $('#sample-table tbody tr').classList.add('selected');
    showGroup(data.samples[0]);
  }
}

function rewardCell(v) {
  return el('td', {class: 'num', text: typeof v === 'number' ? formatValue(v) : '—'});
}

function renderSampleTable(functions, samples) {
  const table = $('#sample-table');
  const head = el('tr');
  for (const h of ['step', 'split', 'prompt', 'answer part', 'reward', ...functions, 'advantage', 'tokens', 'finish']) {
    head.append(el('th', {text: h}));
  }
  table.tHead.textContent = '';
  table.tHead.append(head);
  const body = table.tBodies[0];
  body.textContent = '';
  for (const s of samples) {
    const tr = el('tr', {'data-step': s.step, 'data-prompt-id': s.prompt_id});
    const {answer} = splitCompletion(s.completion || '');
    tr.append(el('td', {class: 'num', text: String(s.step)}), el('td', {text: s.split || ''}),
              el('td', {class: 'text', title: s.prompt, text: promptTail(s.prompt || '')}),
              el('td', {class: 'text', text: answer.trim()}), rewardCell(s.reward));
    for (const f of functions) tr.append(rewardCell(s.rewards ? s.rewards[f] : undefined));
    const adv = el('td', {class: 'num', text: typeof s.advantage === 'number' ? formatValue(s.advantage) : '—'});
    if (typeof s.advantage === 'number') adv.classList.add(s.advantage > 0 ? 'pos' : s.advantage < 0 ? 'neg' : 'zero');
    tr.append(adv, el('td', {class: 'num', text: String(s.num_tokens ?? '')}), el('td', {text: s.finish_reason || ''}));
    tr.addEventListener('click', () => {
      for (const other of body.querySelectorAll('tr.selected')) other.classList.remove('selected');
      tr.classList.add('selected');
      showGroup(s);
    });
    body.append(tr);
  }
}

// The end of a prompt: templates put the fixed instructions first and the question last.
function promptTail(prompt) {
  const text = prompt.replace(/\s+/g, ' ').trim();
  return text.length > 40 ? `…${text.slice(-40)}` : text;
}

// A completion as its reasoning and its answer. Templates often open <think> in the prompt,
// so a completion may hold only the closing tag.
function splitCompletion(text) {
  const close = text.indexOf('</think>');
  if (close >= 0) return {think: text.slice(0, close).replace(/^\s*<think>/, ''), answer: text.slice(close + 8)};
  if (/^\s*<think>/.test(text)) return {think: text.replace(/^\s*<think>/, ''), answer: ''};
  return {think: '', answer: text};
}

function answerBlock(answer) {
  const pre = el('pre');
  const m = /<answer>([\s\S]*?)(<\/answer>|$)/.exec(answer);
  if (!m) { pre.textContent = answer || '(no answer)'; return pre; }
  pre.append(answer.slice(0, m.index), '<answer>', el('mark', {text: m[1]}), m[2], answer.slice(m.index + m[0].length));
  return pre;
}

async function showGroup(s) {
  const box = $('#group');
  const params = new URLSearchParams({step: s.step, split: s.split || 'train', prompt_id: s.prompt_id});
  let data;
  try {
    data = await getJson(`/api/runs/${encodeURIComponent(state.samplesRun)}/group?${params}`);
  } catch (err) {
    box.hidden = false; box.textContent = `group: ${err.message}`; return;
  }
  box.textContent = '';
  box.hidden = false;
  box.append(el('h2', {text: `Group: step ${s.step}, ${s.split || 'train'}, prompt ${s.prompt_id} — ${data.samples.length} completion(s) logged`}),
             el('div', {class: 'label', text: 'prompt'}), el('pre', {class: 'prompt', text: s.prompt}),
             el('div', {class: 'label', text: `reference answer: ${s.answer ?? '—'}`}));
  const cards = el('div', {class: 'cards'});
  for (const g of data.samples) {
    const head = el('header');
    head.append(el('b', {text: `#${g.sample_index}`}), el('span', {text: `reward ${typeof g.reward === 'number' ? formatValue(g.reward) : '—'}`}));
    for (const [f, v] of Object.entries(g.rewards || {})) head.append(el('span', {text: `${f} ${typeof v === 'number' ? formatValue(v) : '—'}`}));
    if (typeof g.advantage === 'number') {
      head.append(el('span', {class: g.advantage > 0 ? 'pos' : g.advantage < 0 ? 'neg' : '', text: `advantage ${formatValue(g.advantage)}`}));
    }
    head.append(el('span', {text: `${g.num_tokens ?? '?'} tokens, ${g.finish_reason || ''}, policy v${g.policy_version ?? '?'}`}));
    for (const [f, why] of Object.entries(g.reward_marks || {})) head.append(el('span', {class: 'neg', text: `${f}: ${why}`}));
    const {think, answer} = splitCompletion(g.completion || '');
    const card = el('div', {class: 'card'}, head);
    if (think) {
      const details = el('details', {open: ''}, el('summary', {text: `thinking (${think.length} chars)`}), el('pre', {class: 'think', text: think}));
      card.append(details);
    }
    card.append(el('div', {class: 'answer'}, el('div', {class: 'label', text: 'answer'}), answerBlock(answer)));
    cards.append(card);
  }
  box.append(cards);
  box.dataset.groupSize = String(data.samples.length);
}

let samplesRefreshAt = 0;
function refreshSamplesIfLive() {
  // New rows arrived: refresh the listing when the user is on the first page.
  if (state.samplesPage === 0 && Date.now() - samplesRefreshAt > 1500) {
    samplesRefreshAt = Date.now();
    renderSampleRunChoices();
    loadSamples();
  }
}

// ---------------------------------------------------------------------------------------
// Wiring.

// Initial view from the address: ?runs=a,b&x=step|time&smoothing=0.8 (links to a view).
function readUrl() {
  const params = new URLSearchParams(location.search);
  if (params.get('runs')) state.urlRuns = params.get('runs').split(',');
  if (params.get('x') === 'time' || params.get('x') === 'step') state.xaxis = params.get('x');
  const w = parseFloat(params.get('smoothing'));
  if (w >= 0 && w <= 0.99) state.smoothing = w;
  $('#xaxis').value = state.xaxis;
  $('#smoothing').value = String(state.smoothing);
  $('#smoothing-value').textContent = state.smoothing.toFixed(2);
}

function init() {
  readUrl();
  const slider = $('#smoothing');
  slider.addEventListener('input', () => {
    state.smoothing = +slider.value;
    $('#smoothing-value').textContent = state.smoothing.toFixed(2);
    scheduleDraw();
  });
  $('#xaxis').addEventListener('change', e => { state.xaxis = e.target.value; scheduleDraw(); });
  $('#add-chart').addEventListener('change', e => {
    if (e.target.value) state.extraCharts.push(e.target.value);
    rebuildCharts(); scheduleDraw();
  });
  const form = $('#sample-filters');
  let timer = 0;
  const reload = () => { clearTimeout(timer); timer = setTimeout(() => { state.samplesPage = 0; loadSamples(); }, 250); };
  form.addEventListener('input', reload);
  form.addEventListener('change', reload);
  form.addEventListener('submit', e => e.preventDefault());
  $('#prev').addEventListener('click', () => { if (state.samplesPage > 0) { state.samplesPage--; loadSamples(); } });
  $('#next').addEventListener('click', () => {
    if ((state.samplesPage + 1) * PAGE_SIZE < state.samplesTotal) { state.samplesPage++; loadSamples(); }
  });
  window.addEventListener('resize', scheduleDraw);
  poll();
}

init();
