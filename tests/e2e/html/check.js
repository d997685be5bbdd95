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

    check((await page.$$eval('table.bars progress', (s) => s.length)) >= 2, 'the bytes chart has its bars');
    check((await page.$$eval('svg.tl', (s) => s.length)) >= 1, 'a timeline per capture');
    const unnamedBar = await page.$$eval('table.bars tr', (s) => s.filter((r) => r.textContent.includes('(no name)')).length);
    check(unnamedBar >= 1, `unnamed addresses are bars of their own (${unnamedBar})`);
    const ticks = await page.$$eval('svg.tl text', (t) => t.map((x) => x.textContent).filter((x) => x.startsWith('+')));
    check(ticks.length >= 3, `the timeline has real ticks ${JSON.stringify(ticks.slice(0, 6))}`);

    // The verdict is in the first viewport, at 1400 px and on a phone.
    for (const [w, h] of [[1400, 900], [390, 844]]) {
      await page.setViewportSize({ width: w, height: h });
      await page.evaluate(() => window.scrollTo(0, 0));
      const v = await page.$eval('#verdict', (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, text: e.textContent }; });
      check(v.top >= 0 && v.bottom <= h, `verdict within the first ${w}x${h} viewport (${Math.round(v.top)}..${Math.round(v.bottom)})`);
      check(/violation/.test(v.text) && /% of flows/.test(v.text) && /warning/.test(v.text), `verdict at ${w} px names violations, the unnamed share and warnings`);
      const fonts = await page.$$eval('svg.tl text', (t) => t.map((x) => x.getBoundingClientRect().height));
      check(fonts.every((hgt) => hgt >= 9), `chart text readable at ${w} px (smallest ${Math.min(...fonts).toFixed(1)} px high)`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 0, `no page-wide horizontal scroll at ${w} px (${overflow})`);
    }
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.screenshot({ path: path.join(outDir, 'report.png') });
    await page.screenshot({ path: path.join(outDir, 'report-full.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(outDir, 'report-phone.png') });

    // Sticky headers: scroll the connections table inside its box; the header row stays on top.
    await page.setViewportSize({ width: 1400, height: 360 });
    const stick = await page.evaluate(() => {
      const t = document.getElementById('conn'), box = t.parentElement, th = t.tHead.rows[0].cells[0];
      box.scrollIntoView();
      const before = th.getBoundingClientRect().top, row0 = t.tBodies[0].rows[0].getBoundingClientRect().top;
      box.scrollTop = 120;
      const after = th.getBoundingClientRect().top, boxTop = box.getBoundingClientRect().top;
      return { before, after, boxTop, scrolled: box.scrollTop, row0After: t.tBodies[0].rows[0].getBoundingClientRect().top, row0 };
    });
    check(stick.scrolled > 50, `the connections table scrolls in its box (${stick.scrolled} px)`);
    check(Math.abs(stick.after - stick.boxTop) <= 2 && stick.row0After < stick.row0 - 50,
      `headers stick while the rows scroll (header ${stick.after} vs box ${stick.boxTop}, first row ${stick.row0} -> ${stick.row0After})`);
    await page.setViewportSize({ width: 1400, height: 900 });

    // Numeric and rank sort keys: Flows, Server addresses, Confidence.
    const colOf = async (id, name) => page.$$eval(`#${id} thead th`, (ths, n) => ths.findIndex((t) => t.textContent === n), name);
    const flowsCol = await colOf('conn', 'Flows');
    await page.click(`#conn thead th:nth-child(${flowsCol + 1})`);
    const flows = (await columnTexts(page, 'conn', flowsCol)).map(Number);
    check(flows.length > 2 && flows.every((v, i) => i === 0 || flows[i - 1] <= v), `Flows sorts numerically ${JSON.stringify(flows)}`);
    const srvCol = await colOf('conn', 'Server');
    await page.click(`#conn thead th:nth-child(${srvCol + 1})`);
    const srv = await page.$$eval('#conn tbody tr', (rows, c) => rows.map((r) => r.cells[c].textContent), srvCol);
    const v4 = srv.filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)).map((a) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0));
    check(v4.length > 2 && v4.every((v, i) => i === 0 || v4[i - 1] <= v), `addresses sort as numbers, not text ${JSON.stringify(srv.slice(0, 6))}`);
    const confCol = await colOf('conn', 'Confidence');
    await page.click(`#conn thead th:nth-child(${confCol + 1})`);
    await page.click(`#conn thead th:nth-child(${confCol + 1})`);
    const rank = { high: 3, medium: 2, low: 1 };
    const confs = (await page.$$eval('#conn tbody tr', (rows, c) => rows.map((r) => r.cells[c].textContent.split(' ')[0]), confCol)).map((c) => rank[c]);
    check(confs.every((v, i) => i === 0 || confs[i - 1] >= v) && confs[0] === 3 && confs[confs.length - 1] === 1,
      `Confidence sorts high > medium > low ${JSON.stringify(confs)}`);

    // Filter: a row count, and digits match whole tokens only.
    const cf = page.locator('input.filter[data-table="conn"]');
    const connTotal = await page.$$eval('#conn tbody tr', (rows) => rows.length);
    await cf.fill('443');
    const shown = await page.$$eval('#conn tbody tr', (rows) => rows.filter((x) => !x.hidden).map((x) => Array.from(x.cells).map((c) => c.textContent).join(' ')));
    const countText = await page.$eval('input.filter[data-table="conn"] + output', (o) => o.textContent);
    check(countText === `${shown.length} of ${connTotal} shown`, `the filter says how many rows it shows ("${countText}")`);
    check(shown.length > 0 && shown.length < connTotal, `"443" hides rows (${shown.length} of ${connTotal})`);
    check(shown.every((t) => t.split(/[\s,|/()\[\]=;]+/).includes('443')), 'every row shown has port 443 as a whole token (not 4430)');
    await cf.fill('');

    // Dark theme.
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(/rgb\((\d+), (\d+), (\d+)\)/.test(bg) && bg.match(/\d+/g).slice(0, 3).every((c) => Number(c) < 60), `prefers-color-scheme: dark gives a dark page (${bg})`);
    await page.screenshot({ path: path.join(outDir, 'report-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    // Print: the policy and confidence columns stay on paper, violations say so in text.
    await page.emulateMedia({ media: 'print' });
    const pr = await page.evaluate(() => {
      const ths = Array.from(document.querySelectorAll('#dest thead th'));
      const vis = (e) => getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0;
      const pol = ths.find((t) => t.textContent === 'Policy'), conf = ths.find((t) => t.textContent === 'Confidence');
      const table = document.getElementById('dest').getBoundingClientRect();
      const viol = Array.from(document.querySelectorAll('#dest tr.violation')).map((r) => r.innerText);
      return { pol: pol && vis(pol), conf: conf && vis(conf), polRight: pol ? pol.getBoundingClientRect().right : 1e9,
        width: document.documentElement.clientWidth, tableRight: table.right, viol };
    });
    check(pr.pol && pr.conf, 'print keeps the Policy and Confidence columns');
    check(pr.polRight <= pr.width && pr.tableRight <= pr.width + 1, `the printed table is not clipped (policy ends at ${Math.round(pr.polRight)}, page ${pr.width})`);
    check(pr.viol.length > 0 && pr.viol.every((t) => /violation/.test(t)), `printed violations say "violation" in text (${pr.viol.length} rows)`);
    await page.pdf({ path: path.join(outDir, 'report.pdf'), format: 'A4', landscape: true });
    check(fs.statSync(path.join(outDir, 'report.pdf')).size > 10000, 'a PDF was printed');
    await page.emulateMedia({ media: 'screen' });
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
