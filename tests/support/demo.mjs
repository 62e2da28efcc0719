// For the browser tests: a demo client seeded through the admin API of a running worker,
// and headless Chromium driven by playwright-core.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ADMIN_TOKEN, ROOT } from './worker.mjs';

export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');

/**
 * The browser tests' client: two fiats, every crypto, BTC also on testnet, and as BTC xpub
 * the BIP-84 test vector's account (mnemonic "abandon … about": public test data).
 */
export const DEMO = JSON.parse(readFileSync(join(ROOT, 'tests', 'support', 'demo-client.json'), 'utf8'));

async function admin(url, method, path, body) {
  const r = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

/** Creates the demo client and sets the rates; returns `{ apiKey, clientId }`. */
export async function seedDemoClient(url) {
  const created = await admin(url, 'POST', '/v1/admin/clients', { name: DEMO.name, config: DEMO.config });
  await admin(url, 'PUT', '/v1/admin/rates', { rates: DEMO.rates });
  return { apiKey: created.api_key, clientId: created.client_id };
}

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync',
];

export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * A page of the demo with the key given in the URL. Page errors and failed console
 * messages are collected in `problems`, so a test can assert the page ran cleanly.
 */
export async function openDemo(browser, url, { apiKey, viewport = DESKTOP, customerId } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  const query = new URLSearchParams();
  if (apiKey) query.set('api_key', apiKey);
  if (customerId) query.set('customer_id', customerId);
  await page.goto(`${url}/?${query}`);
  await page.locator('[data-testid="core-status"][data-ready]').waitFor();
  return { page, context, problems };
}

export function screenshotPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
