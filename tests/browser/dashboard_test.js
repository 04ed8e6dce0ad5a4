// The coordinator dashboard in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core; never a browser download). Starts a coordinator
// (--http, --auth-tokens), two workers and a job on a synthetic safetensors
// model with a hostile tensor name, then: logs in with the token, watches the
// job's bar move and reach 100 %, compares the figures shown with the JSON
// API, checks the hostile name shows as text (no injected element, no
// dialog) and that the API refuses a call without a token (401). Saves
// screenshots (mid-job, done) into the work dir and $SEEDLM_ARTIFACTS_DIR.
//
// node dashboard_test.js BIN_DIR [--keep]; env DASH_ROWS overrides the model
// size (rows of each of the 4 tensors, 256 columns). Exit 0 = pass.
'use strict';

const { spawn, execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const BIN = path.resolve(process.argv[2] || 'build/bin');
const TOTAL_DEADLINE_MS = 150000;
const JOB_DEADLINE_MS = 100000;
const HOSTILE = 'layers.1.<img src=x onerror=alert(1)>"\'&amp;.weight';
const TOKENS = { admin: 'admin-token-dash', client: 'client-token-dash', worker: 'worker-token-dash' };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard_browser_test.'));
const procs = [];
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

function fail(msg) { throw new Error(msg); }
function check(cond, msg) { if (!cond) fail(msg); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- Processes, each stopped by PID.

function start(name, args) {
  const out = fs.openSync(path.join(work, name + '.log'), 'w');
  const p = spawn(path.join(BIN, args[0]), args.slice(1), { stdio: ['ignore', out, out] });
  p.logName = name;
  procs.push(p);
  return p;
}

async function stopAll() {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  const until = Date.now() + 5000;
  while (Date.now() < until && procs.some((p) => p.exitCode === null && p.signalCode === null)) await sleep(100);
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

function run(args, timeoutMs = 60000) {
  return new Promise((resolve) => {
    execFile(path.join(BIN, args[0]), args.slice(1), { timeout: timeoutMs },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

async function waitFile(file, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (fs.existsSync(file)) {
      try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { /* partial */ }
    }
    await sleep(100);
  }
  fail(`no ${file} after ${ms} ms`);
}

// ---- A safetensors file (header JSON + little-endian f32 data).

function writeModel(file, rows, cols) {
  const names = ['layers.0.attention.wq.weight', 'layers.0.attention.wk.weight',
    HOSTILE, 'layers.1.feed_forward.w2.weight'];
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed + 1) / 2147483649; };
  const header = {};
  const bytes = rows * cols * 4;
  names.forEach((n, i) => {
    header[n] = { dtype: 'F32', shape: [rows, cols], data_offsets: [i * bytes, (i + 1) * bytes] };
  });
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const data = Buffer.alloc(names.length * bytes);
  for (let i = 0; i < data.length / 4; ++i) {
    const g = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
    data.writeFloatLE(0.02 * g, i * 4);
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(json), data]));
  return names;
}

// ---- The JSON API from outside the browser.

async function api(http, route, token) {
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  const res = await fetch(`http://${http}${route}`, { headers, signal: AbortSignal.timeout(10000) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function saveShot(page, name) {
  const file = path.join(work, name);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.SEEDLM_ARTIFACTS_DIR) {
    fs.mkdirSync(process.env.SEEDLM_ARTIFACTS_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(process.env.SEEDLM_ARTIFACTS_DIR, name));
  }
  log('screenshot', file);
}

async function main() {
  const rows = Number(process.env.DASH_ROWS || 2048);
  const names = writeModel(path.join(work, 'model.safetensors'), rows, 256);
  fs.writeFileSync(path.join(work, 'tokens'),
    `${TOKENS.admin} admin boss\n${TOKENS.client} client alice\n${TOKENS.worker} worker w\n`);

  start('coordinator', ['seedlm-coordinator', '--state-dir=' + path.join(work, 'state'),
    '--listen=127.0.0.1:0', '--http=127.0.0.1:0', '--auth-tokens=' + path.join(work, 'tokens'),
    '--ready-file=' + path.join(work, 'ready.json'), '--unit-blocks=2048', '--verify-blocks=2']);
  const ready = await waitFile(path.join(work, 'ready.json'), 30000);
  const http = ready.http;
  check(/^127\.0\.0\.1:\d+$/.test(http), `ready file http: ${http}`);
  log('coordinator', ready.listen, 'http', http);

  // Without a token: 401 (API); the page itself is public.
  check((await api(http, '/api/v1/jobs')).status === 401, 'GET /api/v1/jobs without a token is not 401');
  check((await api(http, '/api/v1/workers')).status === 401, 'GET /api/v1/workers without a token is not 401');

  for (const n of [1, 2]) {
    start('worker' + n, ['seedlm-worker', '--coordinator=' + ready.listen, '--threads=1',
      '--token=' + TOKENS.worker, '--name=worker-' + n]);
  }
  const sub = await run(['seedlm', 'submit', '--coordinator', ready.listen, '--token', TOKENS.client,
    path.join(work, 'model.safetensors'), path.join(work, 'out.seedlm'), '--include', 'weight$',
    '--name', 'dash <b>test</b>', '--detach']);
  check(sub.code === 0, `seedlm submit exit ${sub.code}: ${sub.stderr}`);
  const jobId = sub.stdout.trim();
  check(/^[A-Za-z0-9._-]+$/.test(jobId), `job id ${JSON.stringify(jobId)}`);
  log('job', jobId);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 30000,
  });
  try {
    await watchInBrowser(browser, http, jobId, names);
  } finally {
    await browser.close().catch(() => {});
  }
}

async function watchInBrowser(browser, http, jobId, names) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15000);
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  await page.goto(`http://${http}/`);
  await page.waitForSelector('#error:has-text("401")');  // not logged in yet
  await page.fill('#token', TOKENS.admin);
  await page.click('#login-button');
  await page.waitForSelector(`tr[data-job-id="${jobId}"]`);
  await page.click(`tr[data-job-id="${jobId}"] a`);
  await page.waitForSelector('#job-view:not([hidden])');
  await page.waitForFunction((id) => document.getElementById('job-id').textContent === id, jobId);

  // Watch the bar: every distinct value, in order.
  const seen = [];
  let midShot = false;
  const until = Date.now() + JOB_DEADLINE_MS;
  for (;;) {
    check(Date.now() < until, `job not done in ${JOB_DEADLINE_MS} ms; bar values ${seen}`);
    const p = Number(await page.getAttribute('#job-bar', 'data-percent'));
    const state = await page.textContent('#job-state');
    if (seen.length === 0 || seen[seen.length - 1] !== p) {
      seen.push(p);
      log('bar', p, '%', state, await page.textContent('#job-blocks'));
    }
    if (!midShot && p >= 25 && p <= 80) {
      await page.waitForFunction(() => document.querySelectorAll('#rate-chart polyline').length > 0);
      await saveShot(page, 'dashboard-mid.png');
      midShot = true;
    }
    check(!['failed', 'cancelled'].includes(state), `job ${state}: ${await page.textContent('#job-error')}`);
    if (state === 'succeeded') break;
    await sleep(250);
  }
  for (let i = 1; i < seen.length; ++i) check(seen[i] > seen[i - 1], `bar went back: ${seen}`);
  const before = seen.filter((p) => p > 0 && p < 100);
  check(before.length >= 2, `the bar moved fewer than twice before 100 %: ${seen}`);
  check(seen[seen.length - 1] === 100, `the bar ended at ${seen[seen.length - 1]}`);
  check(midShot, 'no mid-job screenshot (bar never between 25 and 80 %)');

  // Let one more poll land (workers' last heartbeats), then compare with the API.
  await sleep(1500);
  const detail = await api(http, `/api/v1/jobs/${jobId}`, TOKENS.admin);
  const workers = await api(http, '/api/v1/workers', TOKENS.admin);
  check(detail.status === 200 && workers.status === 200, 'API with the admin token');
  const job = detail.body.job;
  const prog = job.progress;
  await page.waitForFunction((want) => document.getElementById('job-blocks').textContent === want,
    `${prog.blocks_done} / ${prog.blocks_total}`);
  check(prog.blocks_done === prog.blocks_total && Number(prog.blocks_total) > 0, `API blocks ${prog.blocks_done}/${prog.blocks_total}`);
  check(job.state === 'JOB_STATE_SUCCEEDED', `API state ${job.state}`);
  check(await page.textContent('#job-state') === 'succeeded', 'state shown');
  check(await page.textContent('#job-percent') === '100 %', 'percent shown');
  check(Number(await page.textContent('#job-tensor-count')) === prog.tensors.length, 'tensor count shown');
  check(prog.tensors.length === names.length, `API tensors ${prog.tensors.length}`);
  check(await page.locator('[data-testid="tensor-row"]').count() === prog.tensors.length, 'tensor rows');
  check(await page.locator('[data-testid="error-point"]').count() === prog.tensors.length, 'error chart points');
  check(detail.body.history.length >= 3, `history ${detail.body.history.length} samples`);
  check(workers.body.workers.length === 2, `API workers ${workers.body.workers.length}`);
  await page.waitForFunction(() => document.getElementById('worker-count').textContent === '2');
  check(await page.locator('[data-testid="worker-row"]').count() === 2, 'worker rows');
  const shownWorkers = await page.$$eval('[data-testid="worker-row"]', (trs) => trs.map((tr) => tr.dataset.workerId));
  check(JSON.stringify(shownWorkers.sort()) === JSON.stringify(workers.body.workers.map((w) => w.id).sort()),
    `worker ids shown ${shownWorkers}`);
  const shownTensors = await page.locator('[data-testid="tensor-name"]').allTextContents();
  const apiTensors = prog.tensors.map((t) => t.name);
  check(JSON.stringify(shownTensors) === JSON.stringify(apiTensors), `tensor names ${shownTensors}`);
  const shownErrors = await page.$$eval('[data-testid="tensor-row"] td:last-child', (tds) => tds.map((td) => td.textContent));
  prog.tensors.forEach((t, i) => check(shownErrors[i] === t.relative_error.toFixed(5), `rel error ${i}: ${shownErrors[i]} vs ${t.relative_error}`));

  // The hostile name: shown as text, nothing injected, no dialog.
  check(shownTensors.includes(HOSTILE), 'hostile tensor name not shown verbatim');
  check(await page.locator('img').count() === 0, 'an <img> element was injected');
  check(await page.locator('b').count() === 0, 'a <b> element was injected (display name)');
  check(await page.textContent('#job-title') === 'dash <b>test</b>', 'display name shown as text');
  await saveShot(page, 'dashboard-done.png');

  // The jobs list agrees too.
  await page.click('#home');
  await page.waitForSelector('#jobs-view:not([hidden])');
  // The list keeps its last render until the refresh that the navigation
  // started answers: wait for it (the poll repeats every second).
  const rowSel = `tr[data-job-id="${jobId}"]`;
  await page.waitForFunction((sel) => {
    const tr = document.querySelector(sel);
    return tr !== null && tr.textContent.includes('succeeded');
  }, rowSel, { timeout: 15000 }).catch(() => {});
  const rowText = await page.textContent(rowSel);
  check(rowText.includes(`${prog.blocks_done} / ${prog.blocks_total} (100 %)`) && rowText.includes('succeeded'),
    `jobs row: ${rowText}`);
  check(dialogs.length === 0, `dialogs fired: ${dialogs}`);
  check(pageErrors.length === 0, `page errors: ${pageErrors}`);

  // A client token: its own job, the workers list refused with a note.
  await page.fill('#token', TOKENS.client);
  await page.click('#login-button');
  await page.waitForSelector('#workers-note:has-text("admin")');
  await page.waitForSelector(`tr[data-job-id="${jobId}"]`);
  log(`PASS: bar ${seen.join(' ')}; ${prog.blocks_total} blocks, ${prog.tensors.length} tensors, 2 workers`);
}

const watchdog = setTimeout(async () => {
  console.error(`FAIL: test exceeded ${TOTAL_DEADLINE_MS} ms`);
  await stopAll();
  process.exit(1);
}, TOTAL_DEADLINE_MS);

main().then(async () => {
  await stopAll();
  clearTimeout(watchdog);
  console.log(`dashboard_browser_test: PASS in ${((Date.now() - t0) / 1000).toFixed(1)} s (work dir ${work})`);
  if (!process.argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
}, async (e) => {
  console.error('FAIL:', e && e.stack ? e.stack : e);
  await stopAll();
  clearTimeout(watchdog);
  for (const p of procs) {
    const f = path.join(work, p.logName + '.log');
    if (fs.existsSync(f)) console.error(`---- ${p.logName}.log (tail)\n` + fs.readFileSync(f, 'utf8').slice(-3000));
  }
  console.error('work dir kept:', work);
  process.exit(1);
});
