// The demo page in headless Chromium against the real worker under `wrangler dev`
// (local D1/KV/Queues, sandbox settlement), with a demo client seeded through the admin API.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DESKTOP, PHONE, launchBrowser, openDemo, screenshotPath, seedDemoClient } from '../support/demo.mjs';
import { BIP84 } from '../support/api.mjs';
import { startFakeEsplora } from '../support/servers.mjs';
import { ROOT, startWorker } from '../support/worker.mjs';

const BECH32 = /^bc1q[02-9ac-hj-np-z]{38}$/;
// BIP-173 test vectors: P2WPKH on testnet, and the mainnet one with its last character changed.
const TESTNET_P2WPKH = 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx';
const MAINNET_BAD_CHECKSUM = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5';

let worker;
let esplora;
let browser;
let apiKey;

before(async () => {
  if (process.env.DEMO_URL) {
    // An already running server (e.g. scripts/run); it must accept the test admin token.
    worker = { url: process.env.DEMO_URL.replace(/\/$/, ''), stop: async () => {} };
  } else {
    esplora = await startFakeEsplora();
    // Balances come from a loopback Esplora (no internet here), for both currencies it serves.
    worker = await startWorker({ vars: { ESPLORA_URL_BTC: esplora.url, ESPLORA_URL_LTC: esplora.url } });
  }
  ({ apiKey } = await seedDemoClient(worker.url));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await worker?.stop();
  await esplora?.stop();
});

const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

async function connected(page) {
  await page.locator('[data-testid="connection-status"][data-connected="true"]').waitFor();
}

async function choose(page, { crypto = 'BTC', network = 'mainnet', fiat = 'EUR' } = {}) {
  await page.selectOption('#crypto', crypto);
  await page.selectOption('#network', network);
  await page.selectOption('#fiat', fiat);
}

/** The JSON the page shows folded under a panel ("estimate" or "quote"). */
async function panelJson(page, panel) {
  return JSON.parse(await page.locator(`[data-testid="${panel}"] details pre`).textContent());
}

function priced(quote) {
  const { id, expires_at, livemode, ...rest } = quote;
  return rest;
}

async function apiPost(path, body) {
  const r = await fetch(worker.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

describe('demo page', () => {
  test('estimate updates as one types and equals the API quote for the same input', async () => {
    const { page, problems } = await openDemo(browser, worker.url, { apiKey, customerId: 'estimate-customer' });
    await connected(page);
    await choose(page);
    const amount = page.getByLabel('Amount', { exact: true });

    await amount.pressSequentially('25');
    const at25 = await panelJson(page, 'estimate');
    assert.equal(at25.amount_currency, 'EUR');
    assert.equal(Number(at25.amount), 25);

    await amount.pressSequentially('0'); // now 250
    const at250 = await panelJson(page, 'estimate');
    assert.equal(Number(at250.amount), 250);
    assert.ok(
      Number(at250.crypto_amount) > 9 * Number(at25.crypto_amount),
      `crypto for 250 EUR (${at250.crypto_amount}) should be about ten times that for 25 EUR (${at25.crypto_amount})`,
    );
    assert.match(await byTestId(page, 'estimate').locator('[data-field="fees.total"] dd').textContent(), /^\d+\.\d{2} EUR$/);

    await byTestId(page, 'lock-quote').click();
    await byTestId(page, 'quote-meta').waitFor();
    const quote = await panelJson(page, 'quote');
    assert.match(quote.id, /\S/);
    assert.ok(Date.parse(quote.expires_at) > Date.now(), 'the quote expires in the future');
    assert.deepEqual(priced(quote), at250, 'the API prices exactly as the in-browser estimate');
    assert.equal(await byTestId(page, 'quote-match').getAttribute('data-match'), 'yes');

    // Typing on, the locked quote is no longer presented as matching.
    await amount.pressSequentially('0');
    assert.equal(await byTestId(page, 'quote-match').getAttribute('data-match'), 'stale');
    await amount.press('Backspace'); // back to 250: the quote matches again
    assert.equal(await byTestId(page, 'quote-match').getAttribute('data-match'), 'yes');

    // The other side: "I want to receive 0.001 BTC".
    await byTestId(page, 'side-crypto').check();
    await amount.fill('0.001');
    const byCrypto = await panelJson(page, 'estimate');
    assert.equal(byCrypto.amount_currency, 'BTC');
    assert.equal(Number(byCrypto.crypto_amount), 0.001);
    const { status, body } = await apiPost('/v1/quotes', {
      crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '0.001', amount_currency: 'BTC',
    });
    assert.equal(status, 201, JSON.stringify(body));
    assert.deepEqual(priced(body), byCrypto);

    await page.screenshot({ path: screenshotPath('estimate-desktop.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });

  test('the rates table shows every pair with source, age and status; static prices are not called live', async () => {
    const { page, problems } = await openDemo(browser, worker.url, { apiKey, customerId: 'rates-customer' });
    await connected(page);
    const row = page.locator('#rates-body tr[data-pair="BTC/EUR"]');
    await row.waitFor();
    assert.equal(await row.locator('[data-field="status"]').textContent(), 'ok');
    assert.match(await row.locator('[data-field="age"]').textContent(), /^\d+ s$/);
    assert.match(await row.locator('[data-field="source"]').textContent(), /^static \(fixed prices from configuration\)$/);
    assert.match(await byTestId(page, 'rates-origin').textContent(), /^Static prices .*not market data/);
    assert.doesNotMatch(await page.locator('#rates-title').textContent(), /live/i);
    assert.equal(await page.locator('#rates-body tr').count(), 6);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('an amount the core refuses shows its reason and code', async () => {
    const { page } = await openDemo(browser, worker.url, { apiKey });
    await connected(page);
    await choose(page);
    await page.getByLabel('Amount', { exact: true }).fill('12.345'); // EUR has two decimals
    const code = byTestId(page, 'estimate').locator('[data-testid="error-code"]');
    await code.waitFor();
    assert.match(await code.textContent(), /^[a-z_]+$/);
    assert.notEqual((await byTestId(page, 'estimate').textContent()).trim(), (await code.textContent()).trim());
  });

  test('a testnet address on mainnet shows wrong network, and is valid once testnet is chosen', async () => {
    const { page, problems } = await openDemo(browser, worker.url, { apiKey });
    await connected(page);
    await choose(page);
    await page.getByLabel(/Address to receive/).fill(TESTNET_P2WPKH);
    const result = byTestId(page, 'address-result');
    await page.locator('[data-testid="address-result"][data-valid="false"]').waitFor();
    assert.equal(await result.locator('[data-testid="address-code"]').textContent(), 'wrong_network');
    assert.match(await result.locator('[data-testid="address-message"]').textContent(), /\w+/);
    assert.equal(await page.getByLabel(/Address to receive/).getAttribute('aria-invalid'), 'true');

    await page.selectOption('#network', 'testnet');
    await page.locator('[data-testid="address-result"][data-valid="true"]').waitFor();
    assert.match(await result.textContent(), /p2wpkh/);

    await page.selectOption('#network', 'mainnet');
    await page.getByLabel(/Address to receive/).fill(MAINNET_BAD_CHECKSUM);
    await page.locator('[data-testid="address-result"][data-valid="false"]').waitFor();
    assert.equal(await result.locator('[data-testid="address-code"]').textContent(), 'bad_checksum');
    assert.deepEqual(problems, []);
  });

  test("in Chromium the package's one-call validateAddress answers as its wasm-bindgen export", async () => {
    const { page, problems } = await openDemo(browser, worker.url, { apiKey });
    const load = (file) => JSON.parse(readFileSync(join(ROOT, 'core', 'tests', 'vectors', file), 'utf8'));
    const addresses = [
      ...load('bip350_segwit.json').valid.map((v) => v.address),
      ...load('bip350_segwit.json').invalid.map((v) => v.address),
      ...load('eip55.json').valid,
      ...load('cashaddr.json').pairs.flatMap((p) => [p.legacy, p.cashaddr]),
      TESTNET_P2WPKH, MAINNET_BAD_CHECKSUM, ` ${MAINNET_BAD_CHECKSUM.toUpperCase()} `, '', 'bc1qé',
    ];
    const cases = ['BTC', 'LTC', 'BCH', 'ETH', 'XRP'].flatMap((currency) =>
      [null, 'mainnet', 'testnet'].flatMap((network) => addresses.map((address) => [currency, address, network])));
    // The page already initialised the package: these are the modules its import map loaded.
    const answers = await page.evaluate(async (list) => {
      const entry = await import(new URL('/pkg/cryptoexchange_core.js', location.href).href);
      const glue = await import(new URL('/pkg/cryptoexchange_core_glue.js', location.href).href);
      return list.map(([c, a, n]) => [entry.validateAddress(c, a, n), glue.validateAddress(c, a, n)]);
    }, cases);
    assert.equal(answers.length, cases.length);
    answers.forEach(([fast, reference], i) => assert.deepEqual(fast, reference, JSON.stringify(cases[i])));
    assert.ok(answers.filter(([fast]) => fast.valid).length > 20, 'valid answers compared');
    assert.ok(answers.filter(([fast]) => !fast.valid).length > 20, 'invalid answers compared');
    assert.deepEqual(problems, []);
  });

  test('a wallet generated on the device shows 12 words and fills in its bc1q address', async () => {
    const { page, problems } = await openDemo(browser, worker.url, { apiKey });
    await connected(page);
    await choose(page);
    await byTestId(page, 'generate-wallet').click();
    const words = byTestId(page, 'mnemonic').locator('li');
    await words.first().waitFor();
    assert.equal(await words.count(), 12);
    for (const word of await words.allTextContents()) assert.match(word, /^[a-z]{3,8}$/);
    const first = await page.getByLabel(/Address to receive/).inputValue();
    assert.match(first, BECH32);
    await page.locator('[data-testid="address-result"][data-valid="true"]').waitFor();
    assert.match(await byTestId(page, 'wallet-path').textContent(), /m\/84'\/0'\/0'\/0\/0/);

    // The API agrees the address is a valid mainnet P2WPKH.
    const { status, body } = await apiPost('/v1/addresses/validate', { currency: 'BTC', network: 'mainnet', address: first });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.valid, true);
    assert.equal(body.kind, 'p2wpkh');

    // A second wallet is a different one (fresh entropy), and 24 words work too.
    await page.selectOption('#word-count', '24');
    await byTestId(page, 'generate-wallet').click();
    await page.waitForFunction((prev) => document.getElementById('address').value !== prev, first);
    assert.equal(await words.count(), 24);
    const second = await page.getByLabel(/Address to receive/).inputValue();
    assert.match(second, BECH32);

    // Choosing another currency fills in the same wallet's address for it (BIP-84 on LTC).
    await page.selectOption('#crypto', 'LTC');
    await page.waitForFunction(() => document.getElementById('address').value.startsWith('ltc1q'));
    await page.locator('[data-testid="address-result"][data-valid="true"]').waitFor();
    assert.match(await byTestId(page, 'wallet-path').textContent(), /m\/84'\/2'\/0'\/0\/0/);
    assert.deepEqual(problems, []);
  });

  test('the API derives an address for the customer from the registered xpub, with its balance', async () => {
    const { page, problems } = await openDemo(browser, worker.url, { apiKey, customerId: 'address-customer' });
    await connected(page);
    await choose(page);
    await byTestId(page, 'create-address').click();
    const status = page.locator('[data-testid="api-address-status"].ok');
    await status.waitFor();
    // The demo client's BTC xpub is the BIP-84 test vector's account: its first receive address.
    assert.equal(await page.getByLabel(/Address to receive/).inputValue(), BIP84.addresses[0].address);
    assert.match(await status.textContent(), /m\/84'\/0'\/0'\/0\/0/);
    await page.locator('[data-testid="address-result"][data-valid="true"]').waitFor();
    // Sandbox mode: the balance is the sandbox ledger's (nothing sent here yet), and the
    // (fake) Esplora, which has 0.001 BTC recorded for this address, is never asked.
    const confirmed = byTestId(page, 'balance').locator('[data-field="confirmed"] dd');
    await confirmed.waitFor();
    assert.equal(await confirmed.textContent(), '0.00000000');
    assert.equal(await byTestId(page, 'balance').locator('[data-field="unconfirmed"] dd').textContent(), '0.00000000');
    assert.ok(!esplora.requests.some((r) => r.startsWith('/address/')), esplora.requests.join());
    assert.deepEqual(problems, []);
  });

  test('an order is placed, its status reaches completed, and the list and balance show it', async () => {
    const { page, problems } = await openDemo(browser, worker.url, { apiKey, customerId: `order-customer-${Date.now()}` });
    await connected(page);
    await page.getByText('No orders yet.').waitFor();
    await choose(page);
    await page.getByLabel('Amount', { exact: true }).fill('100');
    await byTestId(page, 'generate-wallet').click();
    await page.locator('[data-testid="address-result"][data-valid="true"]').waitFor();
    const destination = await page.getByLabel(/Address to receive/).inputValue();
    const estimate = await panelJson(page, 'estimate');

    await byTestId(page, 'place-order').click();
    await byTestId(page, 'order-view').waitFor();
    await page.locator('[data-testid="order-status"][data-status="completed"]').waitFor({ timeout: 60_000 });

    const steps = await byTestId(page, 'timeline').locator('li:not(.upcoming)').evaluateAll((lis) => lis.map((li) => li.dataset.status));
    assert.ok(steps.length >= 2, `the timeline shows the steps: ${steps}`);
    assert.equal(steps[0], 'pending');
    assert.equal(steps.at(-1), 'completed');
    assert.equal(new Set(steps).size, steps.length, `no step twice: ${steps}`);

    const orderId = (await byTestId(page, 'order-id').textContent()).trim();
    const row = byTestId(page, 'order-list').locator(`tr[data-order-id="${orderId}"]`);
    await page.locator(`[data-testid="order-list"] tr[data-order-id="${orderId}"][data-status="completed"]`).waitFor();
    assert.match(await row.textContent(), new RegExp(`${estimate.crypto_amount} BTC`));

    // Sandbox settlement credits the destination: its balance is the order's amount.
    await page.waitForFunction(
      (amount) => document.querySelector('[data-testid="balance"]').textContent.includes(amount),
      estimate.crypto_amount,
      { timeout: 15_000 },
    );
    assert.match(await byTestId(page, 'balance').textContent(), new RegExp(destination));

    await page.screenshot({ path: screenshotPath('order-desktop.png'), fullPage: true });
    if (process.env.UPDATE_DEMO_SCREENSHOT === '1') {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs', 'demo.png'), fullPage: true });
    }
    assert.deepEqual(problems, []);
  });

  test('on a phone-sized screen the page fits the width and still prices', async () => {
    const { page, problems } = await openDemo(browser, worker.url, { apiKey, viewport: PHONE });
    await connected(page);
    await choose(page);
    await page.getByLabel('Amount', { exact: true }).fill('100');
    await byTestId(page, 'estimate').locator('[data-field="fiat_amount"]').waitFor();
    await byTestId(page, 'generate-wallet').click();
    await page.locator('[data-testid="address-result"][data-valid="true"]').waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= PHONE.width, `page is ${width}px wide on a ${PHONE.width}px screen`);
    await page.screenshot({ path: screenshotPath('phone.png'), fullPage: true });
    await page.locator('#buy').screenshot({ path: screenshotPath('phone-estimate.png') });
    assert.deepEqual(problems, []);
  });

  test('keyboard only: type an amount, tab to the button, lock the quote', async () => {
    const { page } = await openDemo(browser, worker.url, { apiKey, viewport: DESKTOP });
    await connected(page);
    await choose(page);
    await page.getByLabel('Amount', { exact: true }).focus();
    await page.keyboard.type('100');
    for (let i = 0; i < 15; i += 1) {
      if (await page.evaluate(() => document.activeElement?.dataset.testid === 'lock-quote')) break;
      await page.keyboard.press('Tab');
    }
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'lock-quote');
    await page.keyboard.press('Enter');
    await byTestId(page, 'quote-meta').waitFor();
    // The estimate and the order status are announced to screen readers.
    const summary = byTestId(page, 'estimate-summary');
    assert.equal(await summary.getAttribute('aria-live'), 'polite');
    assert.match(await summary.textContent(), /^You pay \d+\.\d{2} EUR and receive \d+\.\d{8} BTC/);
    assert.equal(await byTestId(page, 'order-status').getAttribute('aria-live'), 'polite');
    // Every control has an accessible name.
    const unnamed = await page.locator('input, select, button').evaluateAll((els) =>
      els.filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim())).map((el) => el.id));
    assert.deepEqual(unnamed, []);
  });

  test('a wrong API key shows the API error and its code', async () => {
    const { page } = await openDemo(browser, worker.url, { apiKey: 'cx_test_not_a_key' });
    const status = byTestId(page, 'connection-status');
    await page.waitForFunction(() => /unauthorized/.test(document.querySelector('[data-testid="connection-status"]').textContent));
    assert.match(await status.getAttribute('class'), /error/);
  });
});
