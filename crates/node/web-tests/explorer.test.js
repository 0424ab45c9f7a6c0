// Browser tests of the explorer: start the real `plinth devnet`, open every page in
// Debian's chromium (driven by playwright-core, no downloaded browser) and check real
// content. Screenshots go to target/explorer-screenshots (a CI artifact).
//
// Needs the debug binary (`cargo build -p plinth`, in $CARGO_TARGET_DIR or ./target);
// PLINTH_BIN overrides it.

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
// Where cargo put the binary: CARGO_TARGET_DIR when set (CI keeps it outside the
// clone), ./target otherwise.
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, 'target');
const bin = process.env.PLINTH_BIN || join(targetDir, 'debug/plinth');
const shots = join(root, 'target/explorer-screenshots');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

let devnet; let browser; let page; let base; let dataDir; let profileDir;
let log = '';
let allDevices = 0;

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function getJson(path) {
  const r = await fetch(base + path);
  assert.ok(r.ok, `GET ${path}: ${r.status}`);
  return r.json();
}

/** Polls `f` until it returns a truthy value or `ms` pass. */
async function until(what, f, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try { const v = await f(); if (v) return v; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- devnet log ---\n${log.slice(-4000)}`);
    await sleep(250);
  }
}

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'plinth-explorer-'));
  profileDir = mkdtempSync(join(tmpdir(), 'plinth-chromium-'));
  const [rpc, oracle, mqtt] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${rpc}`;
  devnet = spawn(bin, ['devnet', '--data-dir', dataDir, '--rpc', `127.0.0.1:${rpc}`,
    '--oracle-http', `127.0.0.1:${oracle}`, '--mqtt', `127.0.0.1:${mqtt}`,
    '--epoch-time', '6s', '--devices', '30', '--block-time', '250ms'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The compute pages have a test of their own; here the demo render would only
    // take CPU from these checks.
    env: { ...process.env, PLINTH_DEVNET_DEMO_RENDER: '0' },
  });
  devnet.stdout.on('data', (d) => { log += d; });
  devnet.stderr.on('data', (d) => { log += d; });
  await until('the node API', () => getJson('/v1/status'));
  // The fleet's 30 devices, plus the devnet's storage and compute providers and
  // the energy network's homes (meters).
  const services = new Set((await getJson('/v1/networks'))
    .filter((n) => ['storage', 'compute', 'energy'].includes(n.family)).map((n) => n.name));
  await until('the fleet registered', async () => (await getJson('/v1/devices?limit=1000'))
    .filter((d) => !services.has(d.network)).length === 30);
  await until('the storage providers\' offers', async () => (await getJson('/v1/storage/offers')).length > 0);
  await until('the compute providers\' offers', async () => (await getJson('/v1/compute/offers')).length === 5);
  allDevices = (await getJson('/v1/devices?limit=1000')).length;
  // A fresh profile directory: playwright passes it as --user-data-dir.
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
  if (devnet) {
    devnet.kill('SIGINT');
    await Promise.race([new Promise((r) => devnet.once('exit', r)), sleep(5000)]);
    devnet.kill('SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

test('the overview shows a block height that advances live', async () => {
  await page.goto(`${base}/`);
  const height = () => page.locator('#height').textContent().then((t) => Number(t.replace(/,/g, '')));
  await page.locator('#height').waitFor();
  const first = await height();
  // The height advances through the event stream, without a reload.
  await until('the height to advance', async () => (await height()) > first + 2, 20_000);
  await until('the live dot', () => page.locator('#live.on').count());
  const text = await page.locator('main').textContent();
  assert.match(text, /plinth-devnet/);
  assert.match(text, /Minted/);
  // Supply per epoch: a row per epoch with mints or burns, or the empty message.
  await until('the supply-per-epoch table', () => page.locator('#supply-epochs tr').count());
  assert.match(text, /network weather/);
  assert.match(await page.locator('#countdown').textContent(), /\d+ s/);
  await shot('overview');
});

test('the map draws the devices as hexagons and lists a cell\'s devices', async () => {
  await page.goto(`${base}/#/map`);
  const hexes = page.locator('#map path.hex');
  await until('hexagons', async () => (await hexes.count()) > 0);
  assert.match(await page.locator('#mapinfo').textContent(), new RegExp(`${allDevices} devices`));
  await shot('map');
  await hexes.first().click();
  await until('the cell\'s devices', () => page.locator('#cell a[href^="#/device/pdev1"]').count());
  await shot('map-cell');
  // Zooming out clusters into fewer, coarser cells.
  const fine = await hexes.count();
  const res = Number(await page.locator('#res').textContent());
  for (let i = 0; i < 4; i++) await page.locator('#zout').click();
  await until('coarser cells', async () => (await page.locator('#res').textContent()) === String(res - 4));
  assert.ok((await hexes.count()) <= fine);
});

test('the map draws country borders and coasts under the hexagons, from the node', async () => {
  const elsewhere = [];
  const onRequest = (r) => { if (!r.url().startsWith(base)) elsewhere.push(r.url()); };
  page.on('request', onRequest);
  // A fresh page (the map test before left it zoomed out, a cell's list open).
  await page.goto(`${base}/#/map`);
  await page.reload();
  const hexes = page.locator('#map path.hex');
  await until('hexagons', async () => (await hexes.count()) > 0);
  await page.locator('#map g.basemap path.country').first().waitFor({ state: 'attached' });
  const drawn = await page.evaluate(() => {
    const svg = document.getElementById('map');
    const basemap = svg.querySelector('g.basemap');
    const countries = [...basemap.querySelectorAll('path.country')];
    const box = (el) => { const b = el.getBBox(); return { x: b.x, y: b.y, w: b.width, h: b.height }; };
    const hexLayer = document.getElementById('hexes');
    const layer = (el) => { while (el.parentNode !== svg) el = el.parentNode; return [...svg.children].indexOf(el); };
    return {
      countries: countries.length,
      withGeometry: countries.filter((p) => { const b = box(p); return p.getAttribute('d').length > 20 && b.w > 0 && b.h > 0; }).length,
      // SVG paints in document order: the basemap is beneath what follows it.
      beneath: layer(basemap) < layer(hexLayer),
      germany: box(basemap.querySelector('path.country[data-name="Germany"]')),
      hexes: box(hexLayer),
      world: box(basemap),
    };
  });
  assert.ok(drawn.countries > 150, `${drawn.countries} country paths`);
  assert.equal(drawn.withGeometry, drawn.countries, 'every country has a non-empty outline');
  assert.ok(drawn.beneath, 'the basemap lies under the hexagons');
  // Projected like the hexagons (x = lon, y = -lat): the world spans 360° (more
  // before clipping: Russia and Fiji, across the antimeridian, are drawn on both
  // sides) by about 175°, and the devnet's fleet, round Berlin, lies in Germany.
  const { world: w } = drawn;
  assert.ok(w.w >= 359 && w.h > 170 && w.h <= 180 && w.y > -90.1, JSON.stringify(w));
  const { germany: g, hexes: h } = drawn;
  assert.ok(h.x > g.x && h.y > g.y && h.x + h.w < g.x + g.w && h.y + h.h < g.y + g.h,
    `hexagons ${JSON.stringify(h)} inside Germany ${JSON.stringify(g)}`);
  assert.match(await page.locator('#basemap-note').textContent(), /Natural Earth/);
  // Zoomed in to the city, the locator beside the map shows where the view is.
  assert.ok(await page.locator('#locator').isVisible());
  assert.equal(await page.locator('#locator g.basemap path.country').count(), drawn.countries);
  await page.locator('#locator #view-rect').waitFor({ state: 'attached' });
  await shot('map-basemap-city');
  // A hexagon is clicked through the layers; the legend outlives the cell's list.
  await hexes.first().click();
  await until('the cell\'s devices', () => page.locator('#cell a[href^="#/device/pdev1"]').count());
  assert.match(await page.locator('#basemap-note').textContent(), /Natural Earth/);
  // Zooming out with the wheel keeps the layers and shows the country round the fleet.
  const width = () => page.locator('#map').evaluate((svg) => svg.viewBox.baseVal.width);
  const before = await width();
  const m = await page.locator('#map').boundingBox();
  await page.mouse.move(m.x + m.width / 2, m.y + m.height / 2);
  for (let i = 0; i < 40 && (await width()) < 14; i++) await page.mouse.wheel(0, 100);
  assert.ok((await width()) > before * 10);
  assert.equal(await page.locator('#map g.basemap path.country').count(), drawn.countries);
  await shot('map-basemap');
  page.off('request', onRequest);
  assert.deepEqual(elsewhere, [], 'nothing is fetched from anywhere but the node');
});

test('blocks, a block, a transaction and an account', async () => {
  await page.goto(`${base}/#/blocks`);
  await page.locator('main table tbody tr').first().waitFor();
  await shot('blocks');
  // Find a block that carries a transaction (the devnet's fleet and claimer send some).
  const withTx = await until('a block with transactions', async () => {
    const blocks = await getJson('/v1/blocks?limit=200');
    return blocks.find((b) => b.txs > 0);
  });
  await page.goto(`${base}/#/block/${withTx.height}`);
  await page.locator('main h1', { hasText: `Block ${withTx.height.toLocaleString('en-US')}` }).waitFor();
  const txLink = page.locator('main a[href^="#/tx/"]').first();
  await txLink.click();
  await page.locator('main h1', { hasText: 'Transaction' }).waitFor();
  assert.match(await page.locator('main').textContent(), /committed/);
  await shot('tx');
  await page.locator('main dd a[href^="#/account/"]').first().click();
  await page.locator('#balance').waitFor();
  assert.match(await page.locator('#balance').textContent(), /PLN|\d/);
  await shot('account');
});

test('devices list and device detail', async () => {
  await page.goto(`${base}/#/devices`);
  const link = page.locator('main a[href^="#/device/pdev1"]').first();
  await link.waitFor();
  await link.click();
  // 'Device' exactly: the list's 'Devices' heading is there before the click lands.
  await page.locator('main h1', { hasText: /^Device$/ }).waitFor();
  assert.match(await page.locator('main').textContent(), /H3/);
  await shot('device');
});

test('the search box recognises a height, an address and a device id', async () => {
  await page.goto(`${base}/#/blocks`);
  await page.locator('#q').fill('3');
  await page.locator('#q').press('Enter');
  await page.locator('main h1', { hasText: 'Block 3' }).waitFor();
  const [dev] = await getJson('/v1/devices?limit=1');
  await page.locator('#q').fill(dev.id);
  await page.locator('#q').press('Enter');
  await page.locator('main dd', { hasText: dev.id }).waitFor();
  await page.locator('#q').fill(dev.owner);
  await page.locator('#q').press('Enter');
  await page.locator('main dd', { hasText: dev.owner }).waitFor();
  const block = await getJson('/v1/blocks/2');
  await page.locator('#q').fill(block.hash);
  await page.locator('#q').press('Enter');
  await page.locator('main h1', { hasText: 'Block 2' }).waitFor();
});

test('epochs show manifests with rewards', async () => {
  await until('a reward manifest', async () => (await getJson('/v1/rewards')).some((e) => e.header.total > 0));
  await page.goto(`${base}/#/epochs`);
  const row = page.locator('#epochs a[href^="#/epoch/"]').first();
  await row.waitFor();
  await shot('epochs');
  await row.click();
  await page.locator('main dt', { hasText: 'Total emission' }).waitFor();
  // An epoch that paid someone: the node checks the oracle's manifest against the
  // ledger and lists the top earners and rejected reports.
  const paid = (await getJson('/v1/rewards')).find((e) => e.header.total > 0).header;
  await page.goto(`${base}/#/epoch/${paid.network}/${paid.epoch}`);
  await page.locator('main dt', { hasText: 'Total emission' }).waitFor();
  await until('the audit status', async () => /consistent with the ledger/.test(await page.locator('#audit').textContent()));
  assert.match(await page.locator('#audit').textContent(), /✓/);
  const earners = page.locator('#top-earners a[href^="#/device/pdev1"]');
  assert.ok((await earners.count()) >= 1 && (await earners.count()) <= 10);
  await page.locator('#rejected').waitFor();
  const text = await page.locator('main').textContent();
  assert.match(text, /Devices paid/);
  assert.match(text, /Top earners/);
  assert.match(text, /Rejected reports/);
  assert.match(text, /plinth oracle audit/, 'keeps the full-recomputation hint');
  // Which oracles signed: the devnet's oracle, its signature valid over the
  // ledger's header; none refused.
  const { oracle } = await getJson('/v1/explorer/config');
  const oracleAddress = (await (await fetch(`${oracle}/v1/status`)).json()).oracle;
  await page.locator('#signers').waitFor();
  assert.equal(await page.locator('#signers tbody tr').count(), 1);
  assert.equal(await page.locator('#signers a[href^="#/account/"]').getAttribute('href'), `#/account/${oracleAddress}`);
  assert.match(await page.locator('#signers tbody').textContent(), /✓ signed/);
  assert.match(await page.locator('#refusals tbody').textContent(), /no oracle refused/);
  await shot('epoch');

  // A member's refusal, as the co-signing oracles record it on the manifest, is
  // listed with its code and reason (injected into the node's answer here: the
  // devnet's one oracle never refuses itself).
  await page.route('**/v1/explorer/manifests/**', async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    json.refusals = [{ oracle: oracleAddress, code: 'differs', reason: 'entry 3 differs: <b>150</b> proposed, 120 recomputed' }];
    await route.fulfill({ response, json });
  });
  await page.reload();
  const refusal = page.locator('#refusals tbody tr', { hasText: 'differs' });
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /entry 3 differs: <b>150<\/b> proposed, 120 recomputed/, 'the reason is shown as text');
  assert.equal(await refusal.locator(`a[href="#/account/${oracleAddress}"]`).count(), 1);
  await page.unroute('**/v1/explorer/manifests/**');
  await shot('epoch-refusal');
});

test('the map colours cells by last epoch\'s earnings', async () => {
  await until('a reward manifest', async () => (await getJson('/v1/rewards')).some((e) => e.header.total > 0));
  await page.goto(`${base}/#/map`);
  const hexes = page.locator('#map path.hex');
  await until('hexagons', async () => (await hexes.count()) > 0);
  await page.locator('#by-earnings').click();
  await page.locator('#earnings-note').waitFor();
  assert.match(await page.locator('#by-earnings').getAttribute('class'), /on/);
  assert.match(await page.locator('#earnings-note').textContent(), /epoch \d+/);
  await until('an earning cell', async () => (await page.locator('#map path.hex[data-earned]:not([data-earned="0"])').count()) > 0);
  await shot('map-earnings');
  await page.locator('#by-network').click();
  await until('network colours', async () => (await page.locator('#map path.hex[data-earned]').count()) === 0);
});

test('the storage page lists providers, active deals and settled epochs', async () => {
  // The devnet stores a demo file with each provider; the honest ones' deals stay
  // active and are paid every epoch, the cheaters' are slashed.
  const settled = await until('a settled storage epoch', async () => {
    const s = await getJson('/v1/status');
    const u = await getJson(`/v1/storage/usage/storage/${s.epoch - 1}`);
    return u.proven > 0 ? u : null;
  });
  const offers = await getJson('/v1/storage/offers');
  const deals = await getJson('/v1/deals?network=storage');
  assert.ok(deals.length > 0);
  await page.goto(`${base}/#/storage`);
  await page.locator('#offers').waitFor();
  assert.equal(await page.locator('#offers tbody tr').count(), offers.length);
  assert.match(await page.locator('#offers tbody tr').first().textContent(), /http:\/\/127\.0\.0\.1:\d+/);
  assert.equal(await page.locator('#storage-providers').textContent(), String(offers.length));
  assert.equal(await page.locator('#deals tbody tr').count(), deals.length);
  const usage = await page.locator('#usage tbody').textContent();
  assert.match(usage, /storage/);
  assert.ok(settled.credits_used > 0);
  await shot('storage');
});
