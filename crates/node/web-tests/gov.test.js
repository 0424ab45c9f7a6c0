// Browser test of the explorer's Governance page: a real `plinth devnet` with
// governance (its own `[governance]` section, or one this test adds, with a
// vote long enough to read the pages in), accounts that lock, propose and vote through the real `plinth gov`
// commands, and the pages checked in Debian's chromium (playwright-core).
// Screenshots go to target/explorer-screenshots.
//
// Needs the debug binary (`cargo build -p plinth`); PLINTH_BIN overrides it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readdirSync, appendFileSync, readFileSync, writeFileSync } from 'node:fs';
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

// A vote of 400 blocks of 250 ms (long enough for the pages to be read while it
// is open) and a 100 PLN deposit; the devnet's
// networks share all emission, so the treasury gets none.
const GOVERNANCE = `
[governance]
min_lock_blocks = 10
max_lock_blocks = 1000
max_multiplier_bps = 40000
min_deposit = 100000000
deposit_period_blocks = 100
voting_period_blocks = 400
quorum_bps = 3340
threshold_bps = 5000
veto_bps = 3340
max_description_bytes = 1000
max_actions = 8
max_active_proposals = 8
treasury_bps = 0

[governance.bounds]
credit_micro_usd = { min = 1, max = 1000 }
price_max_age_ms = { min = 1000, max = 3600000 }
storage_max_failures = { min = 1, max = 10 }
storage_max_deal_epochs = { min = 1, max = 1000000 }
storage_accept_epochs = { min = 1, max = 100 }
tail_per_epoch = { min = 0, max = 1000000000 }
`;

let devnet; let browser; let page; let base; let dataDir; let profileDir;
let log = '';
let proposal; let alice; let carol;

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
  const rpc = await freePort();
  base = `http://127.0.0.1:${rpc}`;
  devnet = spawn(bin, ['devnet', '--data-dir', dataDir, '--rpc', `127.0.0.1:${rpc}`,
    '--devices', '0', '--block-time', '250ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
  devnet.stdout.on('data', (d) => { log += d; });
  devnet.stderr.on('data', (d) => { log += d; });
  await until('the node API', () => getJson('/v1/status'));
}

async function stopDevnet() {
  devnet.kill('SIGINT');
  await Promise.race([new Promise((r) => devnet.once('exit', r)), sleep(5000)]);
  devnet.kill('SIGKILL');
}

/** Runs `plinth gov …` against the devnet; returns its output. */
function gov(...args) {
  return execFileSync(bin, ['gov', ...args, '--node', base, '--keystore', join(dataDir, 'keystore.json')], { encoding: 'utf8' });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'plinth-gov-'));
  profileDir = mkdtempSync(join(tmpdir(), 'plinth-chromium-'));
  // The first start writes the devnet's genesis; a fresh chain starts from it
  // with a vote of 400 blocks (its own [governance] section, or GOVERNANCE).
  await startDevnet();
  await stopDevnet();
  for (const f of readdirSync(dataDir)) {
    if (!['genesis.toml', 'keystore.json'].includes(f)) rmSync(join(dataDir, f), { recursive: true, force: true });
  }
  const genesis = join(dataDir, 'genesis.toml');
  const text = readFileSync(genesis, 'utf8');
  if (/^\[governance\]$/m.test(text)) {
    writeFileSync(genesis, text.replace(/^voting_period_blocks = \d+$/m, 'voting_period_blocks = 400'));
  } else {
    appendFileSync(genesis, GOVERNANCE);
  }
  await startDevnet();
  const g = await getJson('/v1/gov');
  const p = g.params;
  const key = (name) => execFileSync(bin, ['wallet', 'address', name, '--keystore', join(dataDir, 'keystore.json')], { encoding: 'utf8' }).trim();
  [alice, carol] = [key('alice'), key('carol')];
  gov('lock', '1000', '--blocks', String(p.max_lock_blocks), '--from', 'alice');
  gov('lock', '400', '--blocks', String(p.max_lock_blocks), '--from', 'bob');
  const deposit = String(Math.ceil(p.min_deposit / 1e6));
  const out = gov('propose', '--from', 'alice', '--description', 'Acme makes devices; plan v2', '--deposit', deposit,
    '--approve-maker', `${carol}:Acme:3`, '--set-share', 'weather:2500:0', '--plan-upgrade', 'v2:1000000');
  proposal = Number(/proposal #(\d+)/.exec(out)[1]);
  gov('vote', String(proposal), 'yes', '--from', 'alice');
  gov('vote', String(proposal), 'no', '--from', 'bob');
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
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

test('the Governance page lists proposals with their status and totals', async () => {
  await page.goto(`${base}/`);
  await page.locator('nav a[href="#/gov"]').click();
  const href = `a[href="#/proposal/${proposal}"]`;
  await page.locator(`#proposals ${href}`).waitFor();
  const row = await page.locator('#proposals tbody tr', { has: page.locator(href) }).textContent();
  assert.match(row, /voting/);
  assert.match(row, /set_network_share, approve_maker, plan_upgrade/);
  assert.match(await page.locator('#gov-power').textContent(), /[1-9]/);
  await shot('gov');
  // The status filter: nothing waits for its deposit.
  await page.locator('#status-filter a[href="#/gov/status/deposit_period"]').click();
  await page.locator('#proposals tbody', { hasText: 'no proposal' }).waitFor();
});

test('a proposal shows its actions, a live tally and its votes', async () => {
  await page.goto(`${base}/#/proposal/${proposal}`);
  await page.locator('#actions li').first().waitFor();
  assert.equal(await page.locator('#actions li').count(), 3);
  const actions = await page.locator('#actions').textContent();
  assert.match(actions, /approve maker Acme/);
  assert.match(actions, /plan upgrade v2 at height 1000000/);
  assert.equal(await page.locator('#votes tbody tr').count(), 2);
  assert.equal(await page.locator(`#votes a[href="#/account/${alice}"]`).count(), 1);
  assert.equal(await page.locator('#tally-bar .seg-yes').count(), 1);
  assert.equal(await page.locator('#tally-bar .seg-no').count(), 1);
  assert.match(await page.locator('#verdict').textContent(), /If the vote ended now: passed/);
  await shot('proposal');
  // Bob changes his vote: the tally moves without a reload.
  gov('vote', String(proposal), 'yes', '--from', 'bob');
  await until('the tally to move', async () => (await page.locator('#tally-bar .seg-no').count()) === 0, 20_000);
  assert.match(await page.locator('#tally tbody').textContent(), /100\.00%/);
});

test('an account\'s positions and voting power', async () => {
  await page.goto(`${base}/#/gov`);
  await page.locator('#positions-addr').fill(alice);
  await page.locator('#positions-form button').click();
  await page.locator('#positions tbody tr').first().waitFor();
  assert.equal(await page.locator('#positions tbody tr').count(), 1);
  assert.match(await page.locator('#positions tbody').textContent(), /locked \d[\d,]* blocks/);
  assert.match(await page.locator('#owner-power').textContent(), /[1-9]/);
  await shot('gov-positions');
  // The account page links to it.
  await page.goto(`${base}/#/account/${alice}`);
  await page.locator(`a[href="#/gov/positions/${alice}"]`).waitFor();
});

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}
