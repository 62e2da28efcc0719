// The happy path end to end against the real worker (wrangler dev, local D1/KV/Queues):
// onboard, addresses, rates, quote, order, settlement to `completed`, list, balance and
// signed webhooks; plus what one client must never see of another.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BIP84, DESTINATION, admin, assertProblem, call, onboard, orderBody, placeOrder, sampleConfig, setRates,
} from '../support/api.mjs';
import { eventually, startFakeEsplora, startWebhookReceiver, verifyWebhook } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

let worker; let esplora; let hooks; let client;
const url = (p) => worker.url + p;

before(async () => {
  esplora = await startFakeEsplora();
  // The first delivery fails: the queue must retry it with a delay.
  hooks = await startWebhookReceiver({ failFirst: 1 });
  worker = await startWorker({ vars: { ESPLORA_URL_BTC: esplora.url } });
  client = await onboard(worker.url, sampleConfig({ webhook_url: hooks.url }));
  await setRates(worker.url);
});

after(async () => {
  await worker?.stop();
  await esplora?.stop();
  await hooks?.stop();
});

describe('service', () => {
  test('healthz answers ok', async () => {
    const r = await call(worker.url, 'GET', '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
  });

  test('openapi.json describes every route of the worker', async () => {
    const r = await call(worker.url, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    for (const path of [
      '/v1/admin/clients', '/v1/admin/clients/{client_id}/config', '/v1/admin/rates', '/v1/config', '/v1/rates',
      '/v1/quotes', '/v1/customers/{customer_id}/addresses', '/v1/addresses/validate',
      '/v1/addresses/{currency}/{address}/balance', '/v1/customers/{customer_id}/orders', '/v1/orders/{order_id}',
      '/healthz',
    ]) assert.ok(r.body.paths[path], `missing ${path}`);
  });

  test('the demo page is served at /', async () => {
    const r = await call(worker.url, 'GET', '/');
    assert.equal(r.status, 200);
    assert.match(r.text, /<html/i);
  });

  test('an unknown API path is a problem 404 and a wrong method a 405', async () => {
    assertProblem(assert, await call(worker.url, 'GET', '/v1/nothing-here'), 404, 'not_found');
    const wrong = await call(worker.url, 'DELETE', '/v1/rates', { token: client.api_key });
    assertProblem(assert, wrong, 405, 'method_not_allowed');
    assert.equal(wrong.headers.get('allow'), 'GET');
    const orders = await call(worker.url, 'PUT', '/v1/customers/erin/orders', { token: client.api_key });
    assertProblem(assert, orders, 405, 'method_not_allowed');
    assert.deepEqual(orders.headers.get('allow').split(', ').sort(), ['GET', 'POST']);
  });
});

describe('onboarding and configuration', () => {
  test('onboarding in sandbox mode returns a cx_test_ key and a webhook secret once, and the stored config', async () => {
    assert.match(client.api_key, /^cx_test_[0-9a-f]{32}$/);
    assert.match(client.webhook_secret, /^whsec_[A-Za-z0-9+/]{43}=$/); // base64 of 32 bytes
    const r = await call(worker.url, 'GET', '/v1/config', { token: client.api_key });
    assert.equal(r.status, 200);
    assert.equal(r.body.webhook_url, hooks.url);
    assert.equal(r.body.fiat.EUR.daily_limit, '2000.00');
    assert.equal(r.body.api_key, undefined);
  });

  test('the admin reads and replaces a config; the client sees the change', async () => {
    const other = await onboard(worker.url);
    const path = `/v1/admin/clients/${other.client_id}/config`;
    const got = await admin(worker.url, 'GET', path);
    assert.equal(got.status, 200);
    assert.equal(got.body.spread_percent, '0.5');
    const put = await admin(worker.url, 'PUT', path, { ...got.body, spread_percent: '1.25' });
    assert.equal(put.status, 200, put.text);
    const seen = await call(worker.url, 'GET', '/v1/config', { token: other.api_key });
    assert.equal(seen.body.spread_percent, '1.25');
  });

  test('an invalid config is refused with the core code', async () => {
    const bad = sampleConfig({ spread_percent: '75' });
    const r = await admin(worker.url, 'POST', '/v1/admin/clients', { name: 'Bad', config: bad });
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.code, /percent/);
  });
});

describe('rates and quotes', () => {
  test('rates carry their age and the client max age', async () => {
    const r = await call(worker.url, 'GET', '/v1/rates', { token: client.api_key });
    assert.equal(r.status, 200, r.text);
    const btc = r.body.rates.find((x) => x.crypto === 'BTC' && x.fiat === 'EUR');
    assert.equal(btc.price, '60000.00000000');
    assert.equal(typeof btc.age_seconds, 'number');
    assert.ok(btc.age_seconds >= 0 && btc.age_seconds < 120);
    assert.equal(r.body.max_age_seconds, 600);
  });

  test('a quote is priced by the core with string amounts and an expiry', async () => {
    const r = await call(worker.url, 'POST', '/v1/quotes', {
      token: client.api_key,
      body: { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '100.00', amount_currency: 'EUR' },
    });
    assert.equal(r.status, 201, r.text);
    assert.match(r.body.id, /^quo_/);
    assert.equal(r.body.fiat_amount, '100.00');
    assert.match(r.body.crypto_amount, /^0\.\d{8}$/);
    // Exact invariant of the core: fiat_amount = crypto_value + fees.total.
    const cents = (s) => Math.round(Number(s) * 100);
    assert.equal(cents(r.body.fiat_amount), cents(r.body.crypto_value) + cents(r.body.fees.total));
    const ttl = Date.parse(r.body.expires_at) - Date.now();
    assert.ok(ttl > 50_000 && ttl <= 61_000, `expires in ${ttl} ms`);
  });

  test('the admin can run the rates source refresh on demand', async () => {
    const r = await admin(worker.url, 'POST', '/v1/admin/rates/refresh');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.rates.some((x) => x.crypto === 'BTC' && x.fiat === 'USD' && x.source === 'static'));
    // Put the test rates back for the other tests.
    await setRates(worker.url);
  });
});

describe('addresses', () => {
  test('customer addresses come from the registered xpub, index by index (BIP-84 vectors)', async () => {
    const first = await call(worker.url, 'POST', '/v1/customers/alice/addresses', { token: client.api_key, body: { currency: 'BTC' } });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.address, BIP84.addresses[0].address);
    assert.equal(first.body.derivation_path, BIP84.addresses[0].path);
    const second = await call(worker.url, 'POST', '/v1/customers/bob/addresses', { token: client.api_key, body: { currency: 'BTC' } });
    assert.equal(second.body.address, BIP84.addresses[1].address);
    const list = await call(worker.url, 'GET', '/v1/customers/alice/addresses', { token: client.api_key });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.addresses.map((a) => a.address), [BIP84.addresses[0].address]);
  });

  test('without an xpub for the currency the problem points to on-device derivation', async () => {
    const r = await call(worker.url, 'POST', '/v1/customers/alice/addresses', { token: client.api_key, body: { currency: 'LTC' } });
    assertProblem(assert, r, 409, 'no_xpub_registered');
    assert.match(r.body.detail, /deriveAddresses/);
    assert.match(r.body.detail, /cryptoexchange-core/);
  });

  test('validation answers 200 with valid true or false and the core code', async () => {
    const good = await call(worker.url, 'POST', '/v1/addresses/validate', {
      token: client.api_key, body: { currency: 'BTC', network: 'mainnet', address: BIP84.addresses[0].address },
    });
    assert.equal(good.status, 200);
    assert.equal(good.body.valid, true);
    assert.equal(good.body.kind, 'p2wpkh');
    const typo = BIP84.addresses[0].address.slice(0, -1) + (BIP84.addresses[0].address.endsWith('u') ? 'v' : 'u');
    const bad = await call(worker.url, 'POST', '/v1/addresses/validate', { token: client.api_key, body: { currency: 'BTC', address: typo } });
    assert.equal(bad.status, 200);
    assert.equal(bad.body.valid, false);
    assert.equal(bad.body.code, 'bad_checksum');
    const wrongNet = await call(worker.url, 'POST', '/v1/addresses/validate', {
      token: client.api_key, body: { currency: 'BTC', network: 'testnet', address: BIP84.addresses[0].address },
    });
    assert.equal(wrongNet.body.valid, false);
    assert.equal(wrongNet.body.code, 'wrong_network');
  });

  test('a sandbox balance answers from the sandbox ledger with no outbound call', async () => {
    // Esplora has a recorded balance for this address; the sandbox must not ask it.
    const r = await call(worker.url, 'GET', `/v1/addresses/BTC/${BIP84.addresses[0].address}/balance`, { token: client.api_key });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.confirmed, '0.00000000');
    assert.equal(r.body.unconfirmed, '0.00000000');
    assert.equal(r.body.sandbox_received, '0.00000000');
    assert.equal(r.body.livemode, false);
    assert.deepEqual(esplora.requests, []);
  });
});

describe('an order from placement to completion', () => {
  let order;

  test('a new customer has no orders', async () => {
    const r = await call(worker.url, 'GET', '/v1/customers/carol/orders', { token: client.api_key });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.orders, []);
    assert.equal(r.body.next_cursor, null);
  });

  test('placing at a quote creates a pending order at the quoted price', async () => {
    const quote = await call(worker.url, 'POST', '/v1/quotes', {
      token: client.api_key,
      body: { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '250.00', amount_currency: 'EUR' },
    });
    assert.equal(quote.status, 201, quote.text);
    const r = await placeOrder(worker.url, client.api_key, 'carol', orderBody({ amount: '250.00', quote_id: quote.body.id }), 'carol-1');
    assert.equal(r.status, 201, r.text);
    order = r.body;
    // Orders are identified by random (v4) UUIDs.
    assert.match(order.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(order.status, 'pending');
    assert.equal(order.quote_id, quote.body.id);
    assert.equal(order.crypto_amount, quote.body.crypto_amount);
    assert.equal(order.fiat_amount, '250.00');
    assert.equal(order.destination_address, DESTINATION);
    assert.equal(order.tx_id, null);
    assert.equal(order.livemode, false);
    assert.equal(quote.body.livemode, false);
    assert.deepEqual(order.status_history.map((s) => s.status), ['pending']);
  });

  test('the sandbox settlement takes it to completed with a sandbox reference (no tx_id) and a full history', async () => {
    const done = await eventually(async () => {
      const r = await call(worker.url, 'GET', `/v1/orders/${order.id}`, { token: client.api_key });
      return r.body.status === 'completed' ? r.body : null;
    }, { timeoutMs: 30_000 });
    // Nothing that could pass for a transaction id.
    assert.equal(done.tx_id, null);
    assert.match(done.sandbox_reference, /^sandbox_[0-9a-f]{24}$/);
    assert.equal(done.livemode, false);
    assert.deepEqual(done.status_history.map((s) => s.status), ['pending', 'processing', 'sent', 'completed']);
    const times = done.status_history.map((s) => Date.parse(s.at));
    assert.deepEqual([...times].sort((a, b) => a - b), times);
  });

  test('the order is in the customer list, newest first, and filterable by status', async () => {
    const second = await placeOrder(worker.url, client.api_key, 'carol', orderBody({ amount: '20.00' }), 'carol-2');
    assert.equal(second.status, 201, second.text);
    const all = await call(worker.url, 'GET', '/v1/customers/carol/orders', { token: client.api_key });
    assert.deepEqual(all.body.orders.map((o) => o.id), [second.body.id, order.id]);
    const completed = await call(worker.url, 'GET', '/v1/customers/carol/orders?status=completed', { token: client.api_key });
    assert.deepEqual(completed.body.orders.map((o) => o.id), [order.id]);
    const page1 = await call(worker.url, 'GET', '/v1/customers/carol/orders?limit=1', { token: client.api_key });
    assert.deepEqual(page1.body.orders.map((o) => o.id), [second.body.id]);
    assert.ok(page1.body.next_cursor);
    const page2 = await call(worker.url, 'GET', `/v1/customers/carol/orders?limit=1&cursor=${page1.body.next_cursor}`, { token: client.api_key });
    assert.deepEqual(page2.body.orders.map((o) => o.id), [order.id]);
    assert.equal(page2.body.next_cursor, null);
    assertProblem(assert, await call(worker.url, 'GET', '/v1/customers/carol/orders?status=lost', { token: client.api_key }), 400, 'invalid_parameter');
  });

  test('the sandbox transfer shows in the destination balance', async () => {
    const r = await call(worker.url, 'GET', `/v1/addresses/BTC/${DESTINATION}/balance`, { token: client.api_key });
    assert.equal(r.status, 200, r.text);
    assert.ok(Number(r.body.sandbox_received) >= Number(order.crypto_amount));
    assert.equal(r.body.confirmed, r.body.sandbox_received);
    assert.equal(r.body.total, r.body.sandbox_received);
    assert.deepEqual(esplora.requests, []);
  });

  test('every status change reached the webhook, signed, in sequence, despite a failed first delivery', async () => {
    const events = await eventually(() => {
      const mine = hooks.received.filter((h) => h.body.data.order_id === order.id);
      return mine.length >= 4 ? mine : null;
    }, { timeoutMs: 40_000 });
    for (const e of events) {
      assert.ok(verifyWebhook(client.webhook_secret, e.raw, e.headers), 'signature');
      assert.ok(!verifyWebhook('whsec_d3Jvbmcgc2VjcmV0IGtleSBieXRlcw==', e.raw, e.headers));
      assert.match(e.body.event_id, /^evt_/);
      assert.equal(e.headers['webhook-id'], e.body.event_id);
    }
    const bySeq = [...events].sort((a, b) => a.body.sequence - b.body.sequence);
    assert.deepEqual(bySeq.map((e) => e.body.sequence), [1, 2, 3, 4]);
    assert.deepEqual(bySeq.map((e) => e.body.data.status), ['pending', 'processing', 'sent', 'completed']);
    assert.ok(events.every((e) => e.body.livemode === false && e.body.data.tx_id === null));
    assert.match(bySeq[3].body.data.sandbox_reference, /^sandbox_/);
    assert.equal(new Set(events.map((e) => e.body.event_id)).size, 4);
  });
});

describe('isolation between clients', () => {
  test("another client's order, customers and quotes are 404 or empty", async () => {
    const other = await onboard(worker.url);
    const mine = await placeOrder(worker.url, client.api_key, 'dave', orderBody({ amount: '30.00' }), 'dave-1');
    assert.equal(mine.status, 201, mine.text);
    assertProblem(assert, await call(worker.url, 'GET', `/v1/orders/${mine.body.id}`, { token: other.api_key }), 404, 'not_found');
    const list = await call(worker.url, 'GET', '/v1/customers/dave/orders', { token: other.api_key });
    assert.deepEqual(list.body.orders, []);
    const addrs = await call(worker.url, 'GET', '/v1/customers/alice/addresses', { token: other.api_key });
    assert.deepEqual(addrs.body.addresses, []);
    const quote = await call(worker.url, 'POST', '/v1/quotes', {
      token: client.api_key,
      body: { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '30.00', amount_currency: 'EUR' },
    });
    const stolen = await placeOrder(worker.url, other.api_key, 'dave', orderBody({ amount: '30.00', quote_id: quote.body.id }), 'x-1');
    assertProblem(assert, stolen, 404, 'not_found');
    // Same idempotency key, other client: an independent order, not a replay.
    const sameKey = await placeOrder(worker.url, other.api_key, 'dave', orderBody({ amount: '30.00' }), 'dave-1');
    assert.equal(sameKey.status, 201, sameKey.text);
    assert.notEqual(sameKey.body.id, mine.body.id);
  });
});

describe('order list filters', () => {
  // BIP-173's example program under the Litecoin prefix, and a second BIP-84 address.
  const LTC_DESTINATION = 'ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9';
  const OTHER_BTC = BIP84.addresses[0].address;
  const list = (query) => call(worker.url, 'GET', `/v1/customers/lena/orders${query}`, { token: client.api_key });
  const ids = async (query) => {
    const r = await list(query);
    assert.equal(r.status, 200, r.text);
    return r.body.orders.map((o) => o.id);
  };
  let btc; let ltc; let other;

  before(async () => {
    const place = async (body, key) => {
      const r = await placeOrder(worker.url, client.api_key, 'lena', orderBody(body), key);
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    btc = await place({ amount: '15.00' }, 'lena-1');
    // Whole seconds apart, so created_from/created_to can tell them apart.
    await new Promise((r) => setTimeout(r, 1100));
    ltc = await place({ crypto: 'LTC', amount: '16.00', destination_address: LTC_DESTINATION }, 'lena-2');
    other = await place({ amount: '17.00', destination_address: OTHER_BTC }, 'lena-3');
  });

  test('by crypto', async () => {
    assert.deepEqual(await ids('?crypto=LTC'), [ltc.id]);
    assert.deepEqual((await ids('?crypto=BTC')).sort(), [btc.id, other.id].sort());
    assert.deepEqual(await ids('?crypto=ETH'), []);
  });

  test('by destination address, as orders show it', async () => {
    assert.deepEqual(await ids(`?destination_address=${OTHER_BTC}`), [other.id]);
    assert.deepEqual(await ids(`?destination_address=${LTC_DESTINATION}&crypto=LTC`), [ltc.id]);
    assert.deepEqual(await ids(`?destination_address=${LTC_DESTINATION}&crypto=BTC`), []);
  });

  test('by creation time: from inclusive, to exclusive', async () => {
    const from = encodeURIComponent(ltc.created_at);
    assert.deepEqual((await ids(`?created_from=${from}`)).sort(), [ltc.id, other.id].sort());
    assert.deepEqual(await ids(`?created_to=${from}`), [btc.id]);
    assert.deepEqual(await ids(`?created_from=${encodeURIComponent(btc.created_at)}&created_to=${from}`), [btc.id]);
    assert.deepEqual(await ids('?created_from=2999-01-01T00:00:00Z'), []);
  });

  test('a filtered list pages with its cursor', async () => {
    const first = await list('?crypto=BTC&limit=1');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body.orders.map((o) => o.id), [other.id]);
    const rest = await list(`?crypto=BTC&limit=1&cursor=${first.body.next_cursor}`);
    assert.deepEqual(rest.body.orders.map((o) => o.id), [btc.id]);
    assert.equal(rest.body.next_cursor, null);
  });

  test('bad filter values are 400 invalid_parameter', async () => {
    for (const query of [
      '?crypto=XRP', '?crypto=btc', '?created_from=yesterday', '?created_to=2026-13-01T00:00:00Z',
      '?destination_address=', '?destination_address=0.5',
      `?destination_address=${'x'.repeat(129)}`, '?colour=red',
    ]) {
      const r = await list(query);
      assertProblem(assert, r, 400, 'invalid_parameter');
    }
  });

  test('a range that ends before it starts is empty, not an error', async () => {
    const r = await list('?created_from=2026-02-01T00:00:00Z&created_to=2026-01-01T00:00:00Z');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.orders, []);
  });
});
