// The coordinator dashboard: polls the JSON API (/api/v1, proto JSON: int64
// fields arrive as strings) every second and renders the jobs list, a job's
// page (per-tensor bars, blocks/s and relative-error charts, ETA) and the
// workers. Every value from the server is put into the page as text
// (textContent, setAttribute), never as HTML: tensor and job names come
// from user files.
'use strict';

const POLL_MS = 1000;
const TOKEN_KEY = 'seedlm.token';
const SVG_NS = 'http://www.w3.org/2000/svg';
const STATE_NAMES = {
  JOB_STATE_QUEUED: 'queued', JOB_STATE_RUNNING: 'running',
  JOB_STATE_ASSEMBLING: 'assembling', JOB_STATE_SUCCEEDED: 'succeeded',
  JOB_STATE_FAILED: 'failed', JOB_STATE_CANCELLED: 'cancelled',
};
const ENDED = ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED'];

const $ = (id) => document.getElementById(id);
const num = (v) => Number(v || 0);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

// Floor, so 100 % shows only when every block is done.
function percent(done, total) {
  return total > 0 ? Math.floor((done * 100) / total) : 0;
}

function fmtRate(r) { return r > 0 ? r.toFixed(1) : '0'; }

function fmtDuration(s) {
  if (!(s > 0)) return '–';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

function stateName(s) { return STATE_NAMES[s] || String(s); }

// ---- API.

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(path, { method, headers, cache: 'no-store' });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : res.statusText;
    throw new ApiError(res.status, `${res.status}: ${msg}`);
  }
  return body;
}

// ---- Rendering helpers.

function setBar(bar, done, total, state) {
  const p = percent(done, total);
  bar.dataset.percent = String(p);
  bar.querySelector('.fill').style.width = p + '%';
  bar.classList.toggle('done', state === 'JOB_STATE_SUCCEEDED' || (total > 0 && done >= total));
  bar.classList.toggle('failed', state === 'JOB_STATE_FAILED' || state === 'JOB_STATE_CANCELLED');
}

function makeBar(done, total, state, text) {
  const bar = el('div', null, 'bar');
  bar.appendChild(el('div', null, 'fill'));
  bar.appendChild(el('span', text, 'bar-text'));
  setBar(bar, done, total, state);
  return bar;
}

function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// A line chart of points [{x, y}] into `svg` (480x200 viewBox).
function lineChart(svg, points, yLabel) {
  const W = 480, H = 200, L = 48, R = 8, T = 10, B = 24;
  const kids = [
    svgEl('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }),
    svgEl('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }),
  ];
  if (points.length === 0) {
    kids.push(svgEl('text', { x: L + 8, y: H / 2 }, 'no samples yet'));
    svg.replaceChildren(...kids);
    return;
  }
  const x0 = points[0].x, x1 = Math.max(points[points.length - 1].x, x0 + 1);
  const yMax = Math.max(...points.map((p) => p.y), 1e-12) * 1.1;
  const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y) => H - B - (y / yMax) * (H - T - B);
  kids.push(svgEl('polyline', {
    class: 'line',
    points: points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' '),
  }));
  kids.push(svgEl('text', { x: 2, y: T + 10 }, yMax.toPrecision(3)));
  kids.push(svgEl('text', { x: 2, y: H - B }, '0'));
  kids.push(svgEl('text', { x: L, y: H - 6 }, `${Math.round(x1 - x0)} s`));
  kids.push(svgEl('text', { x: W - R - 90, y: T + 10 }, yLabel));
  svg.replaceChildren(...kids);
}

// One dot per finished tensor (plan order) at its relative error.
function errorChart(svg, tensors) {
  const W = 480, H = 200, L = 48, R = 8, T = 10, B = 24;
  const kids = [
    svgEl('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }),
    svgEl('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }),
  ];
  const done = tensors.map((t, i) => ({ t, i })).filter((d) => d.t.finished);
  if (done.length === 0) {
    kids.push(svgEl('text', { x: L + 8, y: H / 2 }, 'no tensor finished yet'));
    svg.replaceChildren(...kids);
    return;
  }
  const yMax = Math.max(...done.map((d) => d.t.relative_error), 1e-12) * 1.1;
  const n = Math.max(tensors.length, 2);
  for (const d of done) {
    const c = svgEl('circle', {
      class: 'pt', r: 4,
      cx: (L + (d.i / (n - 1)) * (W - L - R - 8) + 4).toFixed(1),
      cy: (H - B - (d.t.relative_error / yMax) * (H - T - B)).toFixed(1),
      'data-testid': 'error-point',
    });
    c.appendChild(svgEl('title', {}, `${d.t.name}: ${d.t.relative_error.toFixed(5)}`));
    kids.push(c);
  }
  kids.push(svgEl('text', { x: 2, y: T + 10 }, yMax.toPrecision(3)));
  kids.push(svgEl('text', { x: 2, y: H - B }, '0'));
  kids.push(svgEl('text', { x: L, y: H - 6 }, `tensor (plan order, ${tensors.length})`));
  svg.replaceChildren(...kids);
}

// ---- Views.

function renderJobs(list) {
  const jobs = list.jobs || [];
  $('jobs-empty').hidden = jobs.length > 0;
  replaceRows($('jobs').tBodies[0], jobs.map((j) => {
    const p = j.progress || {};
    const done = num(p.blocks_done), total = num(p.blocks_total);
    const tr = el('tr');
    tr.dataset.testid = 'job-row';
    tr.dataset.jobId = j.id;
    const a = el('a', j.id);
    a.href = '#/jobs/' + encodeURIComponent(j.id);
    const idCell = el('td');
    idCell.appendChild(a);
    tr.appendChild(idCell);
    tr.appendChild(el('td', j.display_name, 'name'));
    tr.appendChild(el('td', stateName(j.state), 'state-' + j.state));
    const barCell = el('td');
    barCell.appendChild(makeBar(done, total, j.state,
      `${done} / ${total} (${percent(done, total)} %)`));
    tr.appendChild(barCell);
    tr.appendChild(el('td', fmtRate(p.blocks_per_second), 'num'));
    tr.appendChild(el('td', ENDED.includes(j.state) ? '–' : fmtDuration(p.eta_seconds), 'num'));
    return tr;
  }));
}

function renderJob(detail) {
  const j = detail.job, p = j.progress || {};
  const done = num(p.blocks_done), total = num(p.blocks_total);
  const tensors = (p.tensors || []).map((t) => ({
    name: t.name, done: num(t.blocks_done), total: num(t.blocks_total),
    finished: !!t.finished, relative_error: Number(t.relative_error || 0),
    bias: t.exponent_bias,
  }));
  $('job-title').textContent = j.display_name || j.id;
  $('job-id').textContent = j.id;
  $('job-state').textContent = stateName(j.state);
  $('job-state').className = 'state-' + j.state;
  $('job-blocks').textContent = `${done} / ${total}`;
  $('job-units').textContent = `${num(p.units_done)} / ${num(p.units_total)} (${num(p.units_leased)} leased)`;
  $('job-rate').textContent = fmtRate(p.blocks_per_second);
  $('job-eta').textContent = ENDED.includes(j.state) ? '–' : fmtDuration(p.eta_seconds);
  $('job-tensor-count').textContent = String(tensors.length);
  $('job-percent').textContent = `${percent(done, total)} %`;
  setBar($('job-bar'), done, total, j.state);
  $('job-error').textContent = j.error || '';
  replaceRows($('tensors').tBodies[0], tensors.map((t) => {
    const tr = el('tr');
    tr.dataset.testid = 'tensor-row';
    const name = el('td', t.name, 'name');
    name.dataset.testid = 'tensor-name';
    tr.appendChild(name);
    const barCell = el('td');
    barCell.appendChild(makeBar(t.done, t.total, t.finished ? 'JOB_STATE_SUCCEEDED' : '',
      `${percent(t.done, t.total)} %`));
    tr.appendChild(barCell);
    tr.appendChild(el('td', `${t.done} / ${t.total}`, 'num'));
    tr.appendChild(el('td', t.bias, 'num'));
    tr.appendChild(el('td', t.finished ? t.relative_error.toFixed(5) : '–', 'num'));
    return tr;
  }));
  const hist = (detail.history || []).map((s) => ({ x: Number(s.time_seconds), y: Number(s.blocks_per_second) }));
  lineChart($('rate-chart'), hist, 'blocks/s');
  errorChart($('error-chart'), tensors);
}

function renderWorkers(list) {
  const workers = list.workers || [];
  const now = Date.now() / 1000;
  $('worker-count').textContent = String(workers.length);
  $('workers-note').textContent = '';
  replaceRows($('workers').tBodies[0], workers.map((w) => {
    const tr = el('tr');
    tr.dataset.testid = 'worker-row';
    tr.dataset.workerId = w.id;
    tr.appendChild(el('td', w.id, 'name'));
    tr.appendChild(el('td', w.name, 'name'));
    tr.appendChild(el('td', w.threads, 'num'));
    tr.appendChild(el('td', fmtRate(Number(w.blocks_per_second)), 'num'));
    tr.appendChild(el('td', num(w.blocks_searched), 'num'));
    tr.appendChild(el('td', num(w.units_done), 'num'));
    tr.appendChild(el('td', num(w.results_rejected), 'num'));
    tr.appendChild(el('td', num(w.leases_held), 'num'));
    const age = Math.max(0, now - Number(w.last_seen_time_seconds));
    tr.appendChild(el('td', `${age.toFixed(1)} s ago`, 'num'));
    return tr;
  }));
}

// ---- Routing and polling.

function currentJobId() {
  const m = /^#\/jobs\/([^/]+)$/.exec(location.hash) ||
            /^\/jobs\/([^/]+)$/.exec(location.pathname);
  return m ? decodeURIComponent(m[1]) : null;
}

let timer = null;
let generation = 0;

async function refresh() {
  const gen = ++generation;
  const id = currentJobId();
  $('jobs-view').hidden = id !== null;
  $('job-view').hidden = id === null;
  $('workers-view').hidden = false;
  const errors = [];
  try {
    if (id === null) {
      const list = await api('GET', '/api/v1/jobs');
      if (gen === generation) renderJobs(list);
    } else {
      const detail = await api('GET', '/api/v1/jobs/' + encodeURIComponent(id));
      if (gen === generation) renderJob(detail);
    }
  } catch (e) {
    errors.push(e.message);
  }
  try {
    const workers = await api('GET', '/api/v1/workers');
    if (gen === generation) renderWorkers(workers);
  } catch (e) {
    if (e.status === 403) {
      $('workers-note').textContent = 'The workers list needs an admin token.';
    } else {
      errors.push(e.message);
    }
  }
  if (gen === generation) $('error').textContent = errors.join(' · ');
}

function schedule() {
  clearTimeout(timer);
  refresh().finally(() => { timer = setTimeout(schedule, POLL_MS); });
}

async function act(method, suffix) {
  const id = currentJobId();
  if (id === null) return;
  $('action-error').textContent = '';
  try {
    await api(method, '/api/v1/jobs/' + encodeURIComponent(id) + suffix);
    if (method === 'DELETE') location.hash = '#/';
    schedule();
  } catch (e) {
    $('action-error').textContent = e.message;
  }
}

function init() {
  $('token').value = sessionStorage.getItem(TOKEN_KEY) || '';
  $('login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('token').value.trim();
    if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
    schedule();
  });
  $('logout-button').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('token').value = '';
    schedule();
  });
  $('cancel').addEventListener('click', () => act('POST', ':cancel'));
  $('delete').addEventListener('click', () => {
    if (window.confirm('Delete this job, its result and its upload?')) act('DELETE', '');
  });
  window.addEventListener('hashchange', schedule);
  schedule();
}

document.addEventListener('DOMContentLoaded', init);
