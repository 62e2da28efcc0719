// Every operation's example (docs/examples/<operationId>.json, also the examples of
// openapi.json) is sent to the real worker, in an order where each one can succeed, and
// the answer must have the example response's status and shape (the same keys, the same
// JSON types, recursively). `UPDATE_EXAMPLES=1` records the answers as the examples'
// responses instead (ids and keys of this run replaced by the examples' own); then run
// `UPDATE_OPENAPI=1 cargo test -p cryptoexchange-openapi` so the document carries them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIP84, call, onboard, orderBody, placeOrder, sampleConfig, setRates } from '../support/api.mjs';
import { startFakeChain } from '../support/chain.mjs';
import { eventually, startFakeEsplora } from '../support/servers.mjs';
import { ROOT, startWorker } from '../support/worker.mjs';

const DIR = join(ROOT, 'docs', 'examples');
const UPDATE = process.env.UPDATE_EXAMPLES === '1';
const DOCUMENT = JSON.parse(readFileSync(join(ROOT, 'edge-worker', 'openapi.json'), 'utf8'));

// The order in which the examples build on each other (the client, then its order).
const SEQUENCE = [
  'getHealth', 'getOpenApi', 'createClient', 'getClientConfig', 'putClientConfig', 'createApiKey',
  'listClientApiKeys', 'rotateApiKey', 'revokeApiKey', 'rotateWebhookSecret', 'setRates', 'refreshRates', 'getConfig',
  'listApiKeys', 'listWebhookSecrets', 'getRates', 'createQuote', 'createCustomerAddress',
  'listCustomerAddresses', 'validateAddress', 'getAddressBalance', 'placeOrder', 'getOrder',
  'listEvents', 'redeliverEvent', 'getWebhookEndpoint', 'listDeadLetters', 'replayDeadLetter',
  'listCustomerOrders', 'simulateSandboxDeposit', 'reportFiatPayout', 'reportExcessRefund', 'reportRefund',
];
// The operator's decisions on payouts the daily outflow cap held: only an on-chain
// deployment holds payouts, so these run against a second worker in SETTLEMENT_MODE=onchain
// (fake electrs, PAYOUT_DAILY_CAP_BTC below one order) with two held orders.
const ONCHAIN_SEQUENCE = ['listHeldPayouts', 'releaseHeldPayout', 'failHeldPayout'];

// The sell operations act on sell orders, placed for them (the placeOrder example is a buy).
const SELL_ORDER_OF = {
  simulateSandboxDeposit: 'sell_order_id', reportFiatPayout: 'sell_order_id', reportRefund: 'refund_order_id',
  reportExcessRefund: 'over_order_id',
};

// Values the examples show in place of this run's own.
const SHOWN = {
  client_id: 'cli_0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  api_key: 'cx_test_5f0e3c2a9b8d47e6a1c2d3e4f5a6b7c8',
  webhook_secret: 'whsec_TDH+DpjHtqX04+LR+gqfjtfFtKPy4dDJuKf27V1MOyE=',
  order_id: '3f8a2c1e-5b7d-4e9f-a1c3-0d2e4f6a8b9c',
  quote_id: 'quo_5e0c9d1b2a3f4e5d6c7b8a9f0e1d2c3b',
  held_order_id: '7c4e9a2b-1d3f-4a5b-8c6d-9e0f1a2b3c4d',
  api_key_id: 'key_0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  key_id: 'key_1b2c3d4e5f60718293a4b5c6d7e8f90a',
  new_api_key: 'cx_test_6a1f4d3b0c9e58f7b2d3e4f5a6b7c8d9',
  new_prefix: 'cx_test_6a1f',
  rotated_key_id: 'key_2c3d4e5f60718293a4b5c6d7e8f90a1b',
  rotated_api_key: 'cx_test_7b2a5e4c1d0f69a8c3e4f5a6b7c8d9e0',
  rotated_prefix: 'cx_test_7b2a',
  prefix: 'cx_test_5f0e',
  new_webhook_secret: 'whsec_MfE2k8pQ0v3yXb7nR4cT9hL1sW6dA5gJ2uK8eZ0oY3I=',
  secret_id: 'whs_3d4e5f60718293a4b5c6d7e8f90a1b2c',
  new_secret_id: 'whs_4e5f60718293a4b5c6d7e8f90a1b2c3d',
  event_id: 'evt_7c1e0a9b8d2f4c3e5a6b7d8e9f0a1b2c',
  sell_order_id: '9b1d4e7a-2c3f-4a5b-8c6d-7e8f9a0b1c2d',
  refund_order_id: '4d2e8f1a-6b3c-4d5e-9f7a-8b9c0d1e2f3a',
  over_order_id: '6e3f9b2c-8a1d-4c7e-b5f0-2d4a6c8e0f1b',
};

const operations = new Map();
for (const [path, item] of Object.entries(DOCUMENT.paths)) {
  for (const [method, op] of Object.entries(item)) operations.set(op.operationId, { path, method, op });
}

let worker; let esplora;
const RUN = {};
const run = RUN;

before(async () => {
  esplora = await startFakeEsplora();
  worker = await startWorker({ vars: { ESPLORA_URL_BTC: esplora.url } });
});

after(async () => {
  await worker?.stop();
  await esplora?.stop();
});

function readExample(id) {
  return JSON.parse(readFileSync(join(DIR, `${id}.json`), 'utf8'));
}

/** The example's request with this run's ids and keys in place of the shown ones. */
function request(id, example, run = RUN) {
  const { path, method } = operations.get(id);
  const req = example.request ?? {};
  const params = { ...req.path };
  if (params.client_id) params.client_id = run.client_id;
  if (params.order_id) {
    params.order_id = SELL_ORDER_OF[id] ? run[SELL_ORDER_OF[id]]
      : params.order_id === SHOWN.held_order_id ? run.held_order_id : run.order_id;
  }
  if (params.key_id) params.key_id = run.key_id;
  if (params.event_id) params.event_id = run.event_id;
  let url = path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name]));
  const query = new URLSearchParams(Object.entries(req.query ?? {}).map(([k, v]) => [k, k === 'order_id' ? run.order_id : String(v)]));
  if ([...query].length) url += `?${query}`;
  const headers = {};
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    if (name === 'Authorization' && value === `Bearer ${SHOWN.api_key}`) headers[name] = `Bearer ${run.api_key}`;
    else if (name === 'Idempotency-Key') headers[name] = randomUUID();
    else headers[name] = value;
  }
  return { method: method.toUpperCase(), url, headers, body: req.body };
}

/** `actual` has the shape of `expected`: same JSON types, same keys (only expected's when `partial`). */
function assertShape(actual, expected, where, partial = false) {
  const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  assert.equal(kind(actual), kind(expected), `${where}: ${JSON.stringify(actual)?.slice(0, 200)}`);
  if (kind(expected) === 'array') {
    assert.equal(actual.length > 0, expected.length > 0, `${where}: empty or not`);
    // Each item against the example's item at its place (the last one past its end): a
    // list's items may differ in which nullable fields are set (a key with an allowlist).
    for (const [i, item] of actual.entries()) assertShape(item, expected[Math.min(i, expected.length - 1)], `${where}[${i}]`);
  } else if (kind(expected) === 'object') {
    if (!partial) assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${where}: keys`);
    for (const key of Object.keys(expected)) assertShape(actual[key], expected[key], `${where}.${key}`);
  }
}

/** The answer as an example shows it: this run's ids and keys replaced by the shown ones. */
function shown(body, run = RUN) {
  let text = JSON.stringify(body);
  for (const [name, value] of Object.entries(run)) {
    if (SHOWN[name] && value) text = text.split(value).join(SHOWN[name]);
  }
  return JSON.parse(text);
}

/** A sell order for the sell examples, one first paid late (requote_required) to refund, and one paid over. */
async function placeSellOrders() {
  const auth = { authorization: `Bearer ${run.api_key}`, 'idempotency-key': randomUUID() };
  const body = {
    side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '0.01', amount_currency: 'BTC',
    refund_address: 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g',
  };
  const sell = await call(worker.url, 'POST', '/v1/customers/alice/orders', { headers: auth, body });
  assert.equal(sell.status, 201, sell.text);
  run.sell_order_id = sell.body.id;
  auth['idempotency-key'] = randomUUID();
  const late = await call(worker.url, 'POST', '/v1/customers/bob/orders', { headers: auth, body });
  assert.equal(late.status, 201, late.text);
  run.refund_order_id = late.body.id;
  const d = await call(worker.url, 'POST', `/v1/sandbox/orders/${late.body.id}/deposit`, {
    headers: { authorization: auth.authorization }, body: { amount: '0.01', late_seconds: 60 },
  });
  assert.equal(d.body.status, 'requote_required', d.text);
  // One paid over, confirmed: its excess is due back (reportExcessRefund).
  auth['idempotency-key'] = randomUUID();
  const over = await call(worker.url, 'POST', '/v1/customers/carol/orders', { headers: auth, body });
  assert.equal(over.status, 201, over.text);
  run.over_order_id = over.body.id;
  const paid = await call(worker.url, 'POST', `/v1/sandbox/orders/${over.body.id}/deposit`, {
    headers: { authorization: auth.authorization }, body: { amount: '0.0102', confirmations: 3 },
  });
  assert.equal(paid.body.excess_refund_crypto_amount, '0.00020000', paid.text);
}

test('every operation of openapi.json has an example, and every example an operation', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
  assert.deepEqual([...files].sort(), [...operations.keys()].sort());
  assert.deepEqual([...SEQUENCE, ...ONCHAIN_SEQUENCE].sort(), [...operations.keys()].sort());
});

test('every example request gets the answer its example response shows', async () => {
  for (const id of SEQUENCE) {
    if (id === 'simulateSandboxDeposit') await placeSellOrders();
    const example = readExample(id);
    const req = request(id, example);
    if (id === 'getOrder') {
      // The sandbox settlement moves the order along; the example shows it completed.
      await eventually(async () => {
        const r = await call(worker.url, 'GET', req.url, { headers: req.headers });
        return r.body?.status === 'completed';
      });
    }
    if (id === 'listEvents') {
      // Every event of the order has been handed to the delivery queue (no webhook URL
      // here: each ends `no_endpoint`), so every item has the same shape.
      await eventually(async () => {
        const r = await call(worker.url, 'GET', `/v1/events?order_id=${run.order_id}&delivery_state=pending`, { headers: req.headers });
        return r.body?.events?.length === 0;
      });
    }
    const r = await call(worker.url, req.method, req.url, { headers: req.headers, body: req.body });
    if (id === 'createClient') Object.assign(run, { client_id: r.body.client_id, api_key: r.body.api_key, webhook_secret: r.body.webhook_secret });
    if (id === 'placeOrder') run.order_id = r.body.id;
    if (id === 'createClient') Object.assign(run, { api_key_id: r.body.api_key_id, prefix: r.body.api_key?.slice(0, 12) });
    if (id === 'createApiKey') Object.assign(run, { key_id: r.body.key?.key_id, new_api_key: r.body.api_key, new_prefix: r.body.api_key?.slice(0, 12) });
    if (id === 'rotateWebhookSecret') {
      Object.assign(run, { new_webhook_secret: r.body.webhook_secret, new_secret_id: r.body.secrets?.[0]?.secret_id, secret_id: r.body.secrets?.[1]?.secret_id });
    }
    if (id === 'rotateApiKey') Object.assign(run, { rotated_key_id: r.body.key?.key_id, rotated_api_key: r.body.api_key, rotated_prefix: r.body.api_key?.slice(0, 12) });
    if (id === 'createQuote') run.quote_id = r.body.id;
    if (id === 'listEvents') run.event_id = r.body.events?.at(-1)?.id;
    if (UPDATE) {
      const partial = id === 'getOpenApi';
      const body = partial ? { openapi: r.body.openapi, info: r.body.info } : shown(r.body);
      example.response = { status: r.status, ...(partial ? { partial } : {}), body };
      writeFileSync(join(DIR, `${id}.json`), `${JSON.stringify(example, null, 2)}\n`);
      continue;
    }
    const expected = example.response;
    assert.equal(r.status, expected.status, `${id}: ${r.text.slice(0, 300)}`);
    // A documented refusal (replayDeadLetter of an unknown id) is problem+json.
    assert.match(r.headers.get('content-type') ?? '', expected.status < 400 ? /^application\/json/ : /^application\/problem\+json/, id);
    assertShape(r.body, expected.body, id, expected.partial === true);
  }
});

test('the held-payout examples get the answers they show from an on-chain worker', async () => {
  const chain = await startFakeChain();
  chain.fund(BIP84.addresses[0].address, 'dd'.repeat(32), 0, 1_000_000);
  const live = await startWorker({
    vars: {
      SETTLEMENT_MODE: 'onchain', ESPLORA_URL_BTC: chain.url, HOT_WALLET_BTC: BIP84.account_xprv,
      PAYOUT_DAILY_CAP_BTC: '0.001',
    },
  });
  try {
    const client = await onboard(live.url, sampleConfig());
    await setRates(live.url);
    const onchain = { client_id: client.client_id, api_key: client.api_key };
    const destination = readExample('placeOrder').request.body.destination_address;
    const held = [];
    for (const customer of ['alice', 'bob']) {
      const r = await placeOrder(live.url, client.api_key, customer, orderBody({ amount: '100.00', destination_address: destination }), randomUUID());
      assert.equal(r.status, 201, r.text);
      held.push(r.body.id);
      // Held in turn, so the list shows them oldest first.
      await eventually(async () => {
        const list = await call(live.url, 'GET', '/v1/admin/payouts/held', { token: 'dev-admin-token' });
        return list.body?.payouts?.length === held.length;
      });
    }
    [onchain.order_id, onchain.held_order_id] = held;
    for (const id of ONCHAIN_SEQUENCE) {
      const example = readExample(id);
      const req = request(id, example, onchain);
      const r = await call(live.url, req.method, req.url, { headers: req.headers, body: req.body });
      if (UPDATE) {
        example.response = { status: r.status, body: shown(r.body, onchain) };
        writeFileSync(join(DIR, `${id}.json`), `${JSON.stringify(example, null, 2)}\n`);
        continue;
      }
      assert.equal(r.status, example.response.status, `${id}: ${r.text.slice(0, 300)}`);
      assertShape(r.body, example.response.body, id);
    }
  } finally {
    await live.stop();
    await chain.stop();
  }
});
