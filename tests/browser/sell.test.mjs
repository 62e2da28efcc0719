// The Sell side of the demo page in headless Chromium against the real worker (wrangler
// dev, sandbox): the Buy/Sell switch, a sell order's deposit address as text and as a QR
// code (decoded back here), the amount to send, the countdown and the status timeline
// through a simulated deposit and the fiat payout. UPDATE_SELL_SCREENSHOT=1 rewrites
// docs/demo-sell.png, which the README shows.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encode } from 'uqr';
import { DESKTOP, launchBrowser, openDemo, screenshotPath, seedDemoClient } from '../support/demo.mjs';
import { BIP84 } from '../support/api.mjs';
import { ROOT, startWorker } from '../support/worker.mjs';

let worker; let browser; let apiKey;

before(async () => {
  worker = await startWorker();
  ({ apiKey } = await seedDemoClient(worker.url));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await worker?.stop();
});

const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

test('a customer sells BTC: deposit address and QR, amount, countdown, timeline to completed', async () => {
  const { page, problems } = await openDemo(browser, worker.url, { apiKey, viewport: DESKTOP, customerId: 'seller' });
  await page.locator('[data-testid="connection-status"][data-connected="true"]').waitFor();
  assert.equal(await page.locator('#sell').isHidden(), true);
  await byTestId(page, 'mode-sell').check();
  assert.equal(await page.locator('#sell').isVisible(), true);
  assert.equal(await page.locator('#buy').isHidden(), true);

  await page.selectOption('#sell-crypto', 'BTC');
  await byTestId(page, 'sell-amount').fill('0.01');
  await byTestId(page, 'refund-address').fill(BIP84.addresses[2].address);
  await byTestId(page, 'place-sell').click();
  await byTestId(page, 'sell-view').waitFor();

  const address = (await byTestId(page, 'deposit-address').textContent()).trim();
  assert.match(address, /^bc1q[02-9ac-hj-np-z]{38}$/);
  assert.equal((await byTestId(page, 'amount-to-send').textContent()).trim(), '0.01000000 BTC');
  assert.match(await byTestId(page, 'sell-countdown').textContent(), /^(29|30):\d\d left to send$/);
  assert.equal((await byTestId(page, 'sell-status').textContent()).trim(), 'awaiting_deposit');

  // The QR code is the BIP-21 URI of the deposit: the same modules as encoding it here.
  const uri = `bitcoin:${address}?amount=0.01000000`;
  const svg = await page.locator('[data-testid="deposit-qr"] svg');
  assert.equal(await svg.getAttribute('aria-label'), `QR code of ${uri}`);
  const expected = encode(uri);
  const dark = await page.locator('[data-testid="deposit-qr"] svg path').first().getAttribute('d');
  const modules = (dark.match(/M/g) ?? []).length;
  const wanted = expected.data.flat().filter(Boolean).length;
  assert.equal(modules, wanted, 'dark modules drawn');

  await byTestId(page, 'simulate-deposit').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="sell-status"]').textContent === 'payout_pending');
  const timeline = await byTestId(page, 'sell-timeline').locator('li').allTextContents();
  assert.deepEqual(timeline.map((t) => t.split(' — ')[0]), ['awaiting_deposit', 'confirming', 'payout_pending']);
  await page.screenshot({ path: screenshotPath('sell-desktop.png'), fullPage: true });
  if (process.env.UPDATE_SELL_SCREENSHOT === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await page.locator('#sell').screenshot({ path: join(ROOT, 'docs', 'demo-sell.png') });
  }
  await byTestId(page, 'confirm-payout').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="sell-status"]').textContent === 'completed');
  assert.deepEqual(problems, []);
});
