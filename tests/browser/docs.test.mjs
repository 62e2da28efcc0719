// The API reference at /docs/: Swagger UI (bundled as a static asset by
// scripts/build-web-demo) renders the worker's /openapi.json in headless Chromium. Every
// operation of the document appears, and the page loads nothing from outside the worker.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DESKTOP, launchBrowser, screenshotPath } from '../support/demo.mjs';
import { startWorker } from '../support/worker.mjs';

let worker;
let browser;

before(async () => {
  worker = await startWorker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await worker?.stop();
});

test('/docs/ renders every operation of /openapi.json from local assets only', async () => {
  const document = await (await fetch(`${worker.url}/openapi.json`)).json();
  const operations = Object.values(document.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  assert.ok(operations.length >= 17, `only ${operations.length} operations`);

  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const problems = [];
  const requested = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('request', (r) => requested.push(r.url()));

  await page.goto(`${worker.url}/docs/`);
  await page.locator('.opblock').first().waitFor();
  for (const id of operations) {
    assert.equal(await page.locator(`[id="operations-default-${id}"]`).count(), 1, `operation ${id} is not on the page`);
  }
  assert.match(await page.locator('.info .title').innerText(), /CryptoExchange API/);
  await page.screenshot({ path: screenshotPath('docs.png'), fullPage: false });

  const outside = requested.filter((u) => !u.startsWith(worker.url) && !u.startsWith('data:'));
  assert.deepEqual(outside, [], 'requests outside the worker');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the demo page links to the API reference', async () => {
  const page = await browser.newPage();
  await page.goto(`${worker.url}/`);
  assert.equal(await page.locator('a[href="/docs/"]').count(), 1);
  await page.close();
});
