// Browser test of the explorer's Compute pages against a real `plinth devnet`
// (its compute network: five providers, two of them honest, a demo render whose
// cheaters are caught, leases the oracle checks), checked in Debian's chromium
// (playwright-core) against what the node answers: every provider with its
// attributes and reputation, a job's tasks and each claim's verification
// outcome, a lease's payment growing block by block, and the render job's frame
// drawn in the browser from the module and input on the ledger. Screenshots go
// to target/explorer-screenshots.
//
// Needs the debug binary (`cargo build -p plinth`); PLINTH_BIN overrides it.
// PLINTH_COMPUTE_NODE=http://host:port checks a running node's compute data
// instead of starting a devnet (a testnet, or a chain built for the explorer).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, 'target');
const bin = process.env.PLINTH_BIN || join(targetDir, 'debug/plinth');
const shots = join(root, 'target/explorer-screenshots');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

let devnet; let browser; let page; let base; let dataDir; let profileDir;
let log = '';

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, f, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try { const v = await f(); if (v) return v; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- devnet log ---\n${log.slice(-4000)}`);
    await sleep(250);
  }
}

async function getJson(path) {
  const r = await fetch(base + path);
  assert.ok(r.ok, `GET ${path}: ${r.status}`);
  return r.json();
}

async function startDevnet() {
  const [rpc, oracle, mqtt] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${rpc}`;
  devnet = spawn(bin, ['devnet', '--data-dir', dataDir, '--rpc', `127.0.0.1:${rpc}`,
    '--oracle-http', `127.0.0.1:${oracle}`, '--mqtt', `127.0.0.1:${mqtt}`,
    // Services (the oracles, the storage and compute providers and the demo
    // render) run with at least one device.
    '--devices', '3', '--epoch-time', '6s', '--block-time', '250ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
  devnet.stdout.on('data', (d) => { log += d; });
  devnet.stderr.on('data', (d) => { log += d; });
  await until('the node API', () => getJson('/v1/status'));
}

async function stopDevnet() {
  devnet.kill('SIGINT');
  await Promise.race([new Promise((r) => devnet.once('exit', r)), sleep(5000)]);
  devnet.kill('SIGKILL');
}

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  profileDir = mkdtempSync(join(tmpdir(), 'plinth-chromium-'));
  if (process.env.PLINTH_COMPUTE_NODE) {
    base = process.env.PLINTH_COMPUTE_NODE;
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'plinth-compute-'));
    await startDevnet();
  }
  assert.ok((await getJson('/v1/compute/params')).networks.length > 0, `${base} runs no compute network`);
  // The providers offer and the demo render's tasks are claimed as it runs.
  await until('compute offers', async () => (await getJson('/v1/compute/offers')).length > 0, 120_000);
  await until('a job with a task done', async () => (await getJson('/v1/compute/jobs')).some((j) => j.done > 0), 240_000);
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] || await browser.newPage();
  page.on('pageerror', (e) => { log += `\n[page error] ${e.message}`; });
});

after(async () => {
  if (browser) await browser.close();
  if (devnet) await stopDevnet();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

test('the Compute page shows the settings, networks and every provider', async () => {
  const p = await getJson('/v1/compute/params');
  const offers = await getJson('/v1/compute/offers');
  const leases = await getJson('/v1/compute/leases');
  await page.goto(`${base}/`);
  await page.locator('nav a[href="#/compute"]').click();
  await page.locator('#compute-providers').waitFor();
  for (const n of p.networks) assert.match(await page.locator('#compute-networks').textContent(), new RegExp(n));
  const intro = await page.locator('main > p.muted').first().textContent();
  assert.match(intro, new RegExp(`re-running ${(p.params.default_spot_check_bps / 100).toFixed(2)}%`));
  assert.match(await page.locator('#compute-provider-count').textContent(), new RegExp(`^${offers.length}$`));
  assert.equal(await page.locator('#compute-providers tbody tr').count(), offers.length);
  for (const o of offers) {
    const row = page.locator('#compute-providers tbody tr', { has: page.locator(`a[href="#/compute/provider/${o.device}"]`) });
    const text = await row.textContent();
    assert.match(text, new RegExp(`${o.attrs.cores} cores`));
    assert.match(text, o.attested ? /attested/ : /self-declared/);
    assert.match(text, /tasks [\d,]+ verified/);
    if (o.attrs.accelerator) assert.match(text, new RegExp(o.attrs.accelerator.model));
  }
  // Every close shows its reason (a close is final, so what the API said holds).
  for (const l of leases.filter((x) => x.status.reason && !x.awaiting_close)) {
    const row = page.locator('#compute-leases tbody tr', { has: page.locator(`a[href="#/compute/lease/${l.id}"]`) });
    assert.match(await row.textContent(), new RegExp(`closed: ${l.status.reason.replace(/_/g, ' ')}`));
  }
  await shot('compute');
});

test('a provider page shows its offer and reputation', async () => {
  const [o] = await getJson('/v1/compute/offers');
  await page.goto(`${base}/#/compute/provider/${o.device}`);
  await page.locator('#provider-reputation').waitFor();
  assert.match(await page.locator('#provider-attrs').textContent(), new RegExp(`${o.attrs.cores} cores`));
  assert.match(await page.locator('#provider-reputation').textContent(), /checks .* ✓/);
  await shot('compute-provider');
});

test('a job shows its tasks and each claim\'s verification outcome', async () => {
  const jobs = await getJson('/v1/compute/jobs');
  const job = jobs.reduce((a, b) => (b.done > a.done ? b : a));
  const done = (await getJson(`/v1/compute/jobs/${job.id}`)).progress.tasks_done;
  const claims = await getJson(`/v1/compute/jobs/${job.id}/claims?limit=100`);
  await page.goto(`${base}/#/compute/job/${job.id}`);
  await page.locator('#claims').waitFor();
  assert.ok(await page.locator('#claims tbody tr').count() >= Math.max(1, claims.length));
  assert.ok(await page.locator('#tasks .task.done').count() >= done, 'every task done is drawn done');
  // A claim moves on (claimed, committed, revealed) while the page loads; the
  // final outcomes stay, so every one the API gave is drawn, and every row
  // drawn says what its class says.
  for (const status of ['verified', 'slashed', 'expired']) {
    const n = claims.filter((c) => c.status === status).length;
    assert.ok(await page.locator(`#claims tbody tr.claim-${status}`).count() >= n, `every ${status} claim is drawn`);
  }
  const words = { claimed: /claimed/, committed: /committed/, revealed: /revealed/, verified: /verified/, slashed: /slashed/, expired: /expired/ };
  for (const row of await page.locator('#claims tbody tr[class^="claim-"]').all()) {
    const status = (await row.getAttribute('class')).slice('claim-'.length);
    assert.ok(words[status], `a known claim status: ${status}`);
    assert.match(await row.textContent(), words[status]);
  }
  // A render job: its frame, drawn in the browser from the ledger's module.
  const input = new Uint8Array(await (await fetch(`${base}/v1/compute/jobs/${job.id}/input`)).arrayBuffer());
  if (String.fromCharCode(...input.slice(0, 4)) === 'PLRS') {
    await until('the frame', async () => /rendered/.test(await page.locator('#frame-status').textContent()), 120_000);
    const lit = await page.evaluate(() => {
      const c = document.getElementById('frame');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) n += 1;
      return n;
    });
    assert.ok(lit > 0, 'the frame has lit pixels');
  }
  await shot('compute-job');
});

test('a running lease is paid block by block', async (t) => {
  const leases = await getJson('/v1/compute/leases?active=true');
  if (!leases.length) return t.skip('no lease is running');
  const l = leases[0];
  await page.goto(`${base}/#/compute/lease/${l.id}`);
  await page.locator('#lease-paid').waitFor();
  const paid = async () => Number((await page.locator('#lease-paid').textContent()).split(' ')[0].replace(/,/g, ''));
  const first = await paid();
  await until('the payment to grow with the blocks', async () => (await paid()) > first, 20_000);
  await shot('compute-lease');
});

test('an unknown lease or job says so', async () => {
  const none = '0'.repeat(64);
  await page.goto(`${base}/#/compute/lease/${none}`);
  await page.locator('main .err').waitFor();
  assert.match(await page.locator('main .err').textContent(), /unknown_lease/);
  await page.goto(`${base}/#/compute/job/${none}`);
  await page.locator('main .err', { hasText: 'unknown_job' }).waitFor();
});
