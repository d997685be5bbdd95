// check.js - opens HTML reports in Debian's chromium (headless) through playwright-core and
// checks what a reader relies on: no console errors (CSP violations are console errors), no
// request other than the page itself, no dialog from a hostile report, sorting and filtering
// working, plain tables without JavaScript. Writes a screenshot of the first report.
//   node check.js OUTDIR REPORT.html [HOSTILE.html]
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const [outDir, reportPath, hostilePath] = process.argv.slice(2);
const failures = [];
function check(cond, msg) {
  if (!cond) failures.push(msg);
  console.log((cond ? 'ok   ' : 'FAIL ') + msg);
}

async function openPage(ctx, file) {
  const page = await ctx.newPage();
  const url = 'file://' + path.resolve(file);
  const seen = { console: [], requests: [], dialogs: [], errors: [] };
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') seen.console.push(m.text()); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('dialog', async (d) => { seen.dialogs.push(d.message()); await d.dismiss(); });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(300);
  return { page, url, seen };
}

function cleanLoad(name, r) {
  check(r.seen.console.length === 0, `${name}: no console errors or warnings ${JSON.stringify(r.seen.console)}`);
  check(r.seen.errors.length === 0, `${name}: no script errors ${JSON.stringify(r.seen.errors)}`);
  check(r.seen.dialogs.length === 0, `${name}: no dialog opened ${JSON.stringify(r.seen.dialogs)}`);
  const others = r.seen.requests.filter((u) => u !== r.url);
  check(others.length === 0, `${name}: no request but the page itself ${JSON.stringify(others)}`);
}

async function columnTexts(page, tableId, col) {
  return page.$$eval(`#${tableId} tbody tr`, (rows, c) =>
    rows.filter((r) => !r.hidden).map((r) => {
      const td = r.cells[c];
      const v = td.getAttribute('data-v');
      return v === null ? td.textContent : v;
    }), col);
}

(async () => {
  const userDataDir = fs.mkdtempSync(path.join(outDir, 'chromium-profile-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const r = await openPage(ctx, reportPath);
    cleanLoad('report', r);
    const page = r.page;

    // Sorting: the Domain column (text) ascending, then Out (numeric, data-v) ascending.
    const before = await columnTexts(page, 'dest', 0);
    await page.click('#dest thead th:nth-child(1)');
    const byName = await columnTexts(page, 'dest', 0);
    const sortedNames = [...before].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
    check(JSON.stringify(byName) === JSON.stringify(sortedNames), 'sorting by Domain orders the rows by name');
    check(JSON.stringify(byName) !== JSON.stringify(before), 'sorting by Domain changes the order');
    const outCol = await page.$$eval('#dest thead th', (ths) => ths.findIndex((t) => t.textContent === 'Out'));
    await page.click(`#dest thead th:nth-child(${outCol + 1})`);
    const outs = (await columnTexts(page, 'dest', outCol)).map(Number);
    check(outs.every((v, i) => i === 0 || outs[i - 1] <= v), 'sorting by Out orders the rows by bytes');
    await page.click(`#dest thead th:nth-child(${outCol + 1})`);
    const outsDesc = (await columnTexts(page, 'dest', outCol)).map(Number);
    check(outsDesc.every((v, i) => i === 0 || outsDesc[i - 1] >= v), 'a second click sorts descending');

    // Filtering hides the rows that do not match.
    const total = await page.$$eval('#dest tbody tr', (rows) => rows.length);
    const filter = page.locator('input.filter[data-table="dest"]');
    check(await filter.isVisible(), 'the filter box is shown when JavaScript runs');
    await filter.fill('example');
    const visible = await page.$$eval('#dest tbody tr', (rows) => rows.filter((x) => !x.hidden).map((x) => x.textContent));
    check(visible.length > 0 && visible.length < total, `filtering hides rows (${visible.length} of ${total} shown)`);
    check(visible.every((t) => t.toLowerCase().includes('example')), 'every row shown matches the filter');
    await filter.fill('');
    check((await page.$$eval('#dest tbody tr', (rows) => rows.filter((x) => !x.hidden).length)) === total, 'clearing the filter shows every row');

    check((await page.$$eval('svg', (s) => s.length)) >= 2, 'the two SVG charts are there');
    await page.screenshot({ path: path.join(outDir, 'report.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(outDir, 'report-phone.png') });
    await page.close();

    if (hostilePath) {
      const h = await openPage(ctx, hostilePath);
      cleanLoad('hostile report', h);
      const injected = await h.page.$$eval('body img, body iframe, body svg [onload], body script', (n) => n.length);
      check(injected === 1, `hostile report: no element from data (found ${injected}, the one script expected)`);
      await h.page.screenshot({ path: path.join(outDir, 'hostile.png'), fullPage: true });
      await h.page.close();
    }
  } finally {
    await ctx.close();
  }

  // Without JavaScript: the same tables, the filter box stays hidden.
  const nojsDir = fs.mkdtempSync(path.join(outDir, 'chromium-profile-'));
  const ctx2 = await chromium.launchPersistentContext(nojsDir, {
    executablePath: '/usr/bin/chromium', headless: true, javaScriptEnabled: false,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const r = await openPage(ctx2, reportPath);
    const rows = await r.page.$$eval('#dest tbody tr', (x) => x.length);
    check(rows > 0, `without JavaScript the destinations table has its ${rows} rows`);
    check(!(await r.page.locator('input.filter').first().isVisible()), 'without JavaScript no dead filter box is shown');
  } finally {
    await ctx2.close();
  }
  console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
  process.exit(failures.length ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
