// Browser test of the explorer's Energy pages against a real `plinth devnet` (its
// `solar` network: 50 homes in two zones trading every 30-second interval),
// checked in Debian's chromium (playwright-core) against what the node answers:
// the zones on the map coloured by the last cleared price, the chart of price
// and volume per interval, the recent clearings and their settlements, and a
// meter's trades and orders, reached from its device page. Screenshots go to
// target/explorer-screenshots.
//
// Needs the debug binary (`cargo build -p plinth`); PLINTH_BIN overrides it.
// PLINTH_ENERGY_NODE=http://host:port checks a running node's energy data
// instead of starting a devnet.

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
const NET = process.env.PLINTH_ENERGY_NETWORK || 'solar';
const NO_TRADE = '#8b949e';

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
const num = (n) => Number(n).toLocaleString('en-US');

async function until(what, f, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try { const v = await f(); if (v) return v; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- devnet log ---\n${log.slice(-4000)}`);
    await sleep(500);
  }
}

async function getJson(path) {
  const r = await fetch(base + path);
  assert.ok(r.ok, `GET ${path}: ${r.status}`);
  return r.json();
}

const market = () => getJson(`/v1/energy/${NET}/market`);

async function startDevnet() {
  const [rpc, oracle, mqtt] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${rpc}`;
  devnet = spawn(bin, ['devnet', '--data-dir', dataDir, '--rpc', `127.0.0.1:${rpc}`,
    '--oracle-http', `127.0.0.1:${oracle}`, '--mqtt', `127.0.0.1:${mqtt}`,
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
  if (process.env.PLINTH_ENERGY_NODE) {
    base = process.env.PLINTH_ENERGY_NODE;
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'plinth-energy-'));
    await startDevnet();
  }
  const nets = await getJson('/v1/networks');
  assert.ok(nets.some((n) => n.name === NET && n.family === 'energy'), `${base} runs no energy network ${NET}`);
  // The homes post orders for the first open interval; every zone clears at a
  // price at its gate closure (the devnet's day starts in the morning).
  await until('both zones cleared at a price', async () => {
    const m = await market();
    return m.last_cleared.length >= 2 && m.last_cleared.every((c) => c.price > 0);
  }, 200_000);
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

// What the overview of NET draws, read in one go (the page redraws the section
// when an interval clears or settles).
function readOverview(net) {
  return page.evaluate((n) => {
    const sec = document.querySelector(`section.energy-net[data-network="${n}"]`);
    const cell = (tr, sel) => { const td = tr.querySelector(sel); return td ? td.textContent.trim() : null; };
    return {
      zones: [...sec.querySelectorAll('svg.zone-map path.zone-cell')].map((p) => ({
        zone: p.dataset.zone, price: Number(p.dataset.price), fill: p.getAttribute('fill'),
      })),
      points: [...sec.querySelectorAll('svg.energy-chart circle.pt')].map((c) => ({
        interval: Number(c.dataset.interval), zone: c.dataset.zone, price: Number(c.dataset.price),
      })),
      bars: [...sec.querySelectorAll('svg.energy-chart rect.bar-v')].map((r) => ({
        interval: Number(r.dataset.interval), zone: r.dataset.zone, volume: Number(r.dataset.volume),
      })),
      rows: [...sec.querySelectorAll('table.clearings tbody tr[data-interval]')].map((tr) => ({
        interval: Number(tr.dataset.interval), zone: tr.dataset.zone,
        price: cell(tr, 'td.price'), volume: cell(tr, 'td.volume'),
        delivered: cell(tr, 'td.delivered'), paid: cell(tr, 'td.paid'), balancing: cell(tr, 'td.balancing'),
        pending: !!tr.querySelector('td.pending'),
      })),
    };
  }, net);
}

test('the Energy page colours the zones by last cleared price, charts price and volume and lists the clearings', async () => {
  const m1 = await market();
  const zoneCells = (await getJson(`/v1/map?res=${m1.params.zone_resolution}&network=${NET}`)).cells.map((c) => c.cell).sort();
  await page.goto(`${base}/`);
  await page.locator('nav a[href="#/energy"]').click();
  const sec = page.locator(`section.energy-net[data-network="${NET}"]`);
  await sec.locator('svg.zone-map').waitFor();
  await sec.locator('svg.energy-chart').waitFor();
  const seen = await readOverview(NET);
  const m2 = await market();

  // The map: one hexagon per zone, coloured by the price it last cleared at
  // (that of the market before or after the page was read).
  assert.deepEqual(seen.zones.map((z) => z.zone).sort(), zoneCells);
  assert.equal(seen.zones.length, 2, 'the devnet has two zones');
  const priceOf = (m, z) => (m.last_cleared.find((c) => c.zone_hex === z) || { price: 0 }).price;
  for (const z of seen.zones) {
    assert.ok(z.price > 0, `zone ${z.zone} cleared at a price`);
    assert.notEqual(z.fill, NO_TRADE, `zone ${z.zone} is coloured`);
    assert.ok([priceOf(m1, z.zone), priceOf(m2, z.zone)].includes(z.price), `zone ${z.zone}: ${z.price} is its last cleared price`);
  }
  const [lo, hi] = seen.zones.slice().sort((a, b) => a.price - b.price);
  if (lo.price !== hi.price) assert.notEqual(lo.fill, hi.fill, 'different prices, different colours');

  // The chart: a point per zone interval that traded, a bar per volume, each
  // what the API says of that clearing.
  assert.ok(seen.points.length > 0, 'the chart has points');
  assert.ok(seen.bars.length > 0, 'the chart has volume bars');
  const from = Math.min(...seen.points.map((p) => p.interval), ...seen.rows.map((r) => r.interval));
  const api = await getJson(`/v1/energy/${NET}/clearings?from=${from}&limit=1000`);
  const byKey = new Map(api.map((c) => [`${c.interval}:${c.zone_hex}`, c]));
  for (const p of seen.points) {
    const c = byKey.get(`${p.interval}:${p.zone}`);
    assert.ok(c, `a clearing of interval ${p.interval} zone ${p.zone}`);
    assert.equal(p.price, c.price);
  }
  for (const b of seen.bars) assert.equal(b.volume, byKey.get(`${b.interval}:${b.zone}`).volume_wh);
  assert.equal(seen.points.length, api.filter((c) => c.price > 0 && c.interval <= Math.max(...seen.points.map((p) => p.interval))).length,
    'every clearing at a price in the chart\'s span is a point');

  // The table: the recent clearings, newest first, as the API has them; a
  // settlement drawn is the API's (one not drawn yet may have settled since).
  assert.ok(seen.rows.length > 0, 'the clearings table has rows');
  assert.ok(seen.rows[0].interval >= m1.last_cleared[0].interval, 'the newest clearing first');
  for (const r of seen.rows) {
    const c = byKey.get(`${r.interval}:${r.zone}`);
    assert.ok(c, `a clearing of interval ${r.interval} zone ${r.zone}`);
    assert.equal(r.price, c.price ? `${num(c.price)} cr/kWh` : 'no trade');
    assert.equal(r.volume, `${num(c.volume_wh)} Wh`);
    if (r.pending) continue;
    assert.ok(c.settled, `interval ${r.interval} zone ${r.zone} settled`);
    assert.equal(r.delivered, `${num(c.settled.delivered_wh)} Wh`);
    assert.equal(r.paid, `${num(c.settled.paid)} cr`);
    assert.equal(r.balancing, `${num(c.settled.balancing)} cr`);
  }
  assert.match(await page.locator(`#energy-balancing-${NET}`).textContent(), /^[\d,]+ cr$/);
  await shot('energy');

  // A zone leads to its clearings.
  const zone = seen.zones[0].zone;
  await sec.locator(`svg.zone-map path.zone-cell[data-zone="${zone}"]`).click();
  await page.locator('#clearings').waitFor();
  const zones = await page.locator('#clearings tbody tr[data-zone]').evaluateAll((trs) => trs.map((tr) => tr.dataset.zone));
  assert.ok(zones.length > 0 && zones.every((z) => z === zone), `only zone ${zone}'s clearings`);
});

test('a meter page, reached from its device, lists its trades and settlements as the API does', async () => {
  // Trades are recorded when their interval settles (after its readings).
  const meter = await until('a meter with a settled trade', async () => {
    const orders = await getJson('/v1/energy/orders?status=done&limit=100');
    for (const d of [...new Set(orders.filter((o) => o.filled_wh > 0).map((o) => o.meter))]) {
      if ((await getJson(`/v1/energy/meters/${d}/trades?limit=1`)).length) return d;
    }
    return null;
  }, 120_000);
  await page.goto(`${base}/#/device/${meter}`);
  await page.locator('#meter-link').click();
  await page.locator('#meter-trades').waitFor();
  const m = await getJson(`/v1/energy/meters/${meter}`);
  assert.match(await page.locator('#meter-zone').textContent(), new RegExp(m.zone_hex));
  assert.match(await page.locator('#meter-capacity').textContent(), m.capacity_w ? new RegExp(`${num(m.capacity_w)} W`) : /consumer/);
  const refusals = await page.locator('#meter-refusals').textContent();
  if (m.refused) assert.match(refusals, new RegExp(m.last_refusal.code)); else assert.match(refusals, /none/);

  const rows = await page.locator('#meter-trades tbody tr[data-interval]').evaluateAll((trs) => trs.map((tr) => ({
    interval: Number(tr.dataset.interval), order: Number(tr.dataset.order),
    cells: [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()),
  })));
  const trades = await getJson(`/v1/energy/meters/${meter}/trades?limit=100`);
  assert.ok(rows.length > 0, 'the meter has trades drawn');
  assert.ok(rows.length <= trades.length);
  rows.forEach((r, i) => {
    const t = trades[i];
    assert.deepEqual([r.interval, r.order], [t.interval, t.order], `trade ${i} in the API's order`);
    assert.deepEqual(r.cells.slice(2, 9), [t.side === 'offer' ? 'sold' : 'bought', `${num(t.price)} cr/kWh`, `${num(t.traded_wh)} Wh`,
      `${num(t.delivered_wh)} Wh`, `${num(t.paid)} cr`, `${num(t.penalty)} cr`, `${num(t.returned)} cr`], `trade ${t.interval}:${t.order}`);
  });
  const seqs = await page.locator('#meter-orders tbody tr[data-seq]').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.seq)));
  for (const t of trades.slice(0, rows.length)) assert.ok(seqs.includes(t.order), `order ${t.order} of a trade is listed`);
  await shot('energy-meter');
  // By now a few intervals have cleared: the market's chart has lines.
  await page.goto(`${base}/#/energy`);
  await page.locator(`section.energy-net[data-network="${NET}"] svg.energy-chart circle.pt`).first().waitFor();
  await shot('energy-later');
});

test('a device that is not a meter says so', async () => {
  const devs = await getJson('/v1/devices?limit=100');
  const other = devs.find((d) => d.network !== NET);
  assert.ok(other, 'a device of another network');
  await page.goto(`${base}/#/energy/meter/${other.id}`);
  await page.locator('main .err', { hasText: 'unknown_meter' }).waitFor();
});
