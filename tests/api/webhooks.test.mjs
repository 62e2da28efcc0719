// Webhooks as Standard Webhooks (issue 10): the specification's signing vector agrees
// with the npm `standardwebhooks` package; every delivery is verified with it; the
// webhook-id is the event id on every retry, signed afresh per attempt; a 3xx is a
// failure (not followed); a 410 disables the endpoint and GET /v1/webhook-endpoint says
// so; GET /v1/events filters and pages the caller's own events; redeliver sends one
// again; a message the queue gives up on is listed as a dead letter and can be replayed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import standardwebhooks from 'standardwebhooks';
import { admin, assertProblem, call, onboard, orderBody, placeOrder, sampleConfig, setRates } from '../support/api.mjs';
import { eventually, startWebhookReceiver, verifyWebhook } from '../support/servers.mjs';
import { ROOT, startWorker } from '../support/worker.mjs';

const { Webhook } = standardwebhooks;
const VECTORS = JSON.parse(readFileSync(join(ROOT, 'edge-worker', 'tests', 'vectors', 'standard-webhooks.json'), 'utf8'));
const VARS = { SWEEP_GRACE_SECONDS: '2', WEBHOOK_RETRY_SCHEDULE: '0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1' };

const events = async (url, key, query = '') => {
  const r = await call(url, 'GET', `/v1/events${query}`, { token: key });
  assert.equal(r.status, 200, r.text);
  return r.body;
};

test('the specification test vector is what the npm standardwebhooks package signs and accepts', () => {
  for (const v of VECTORS) {
    const wh = new Webhook(v.secret);
    assert.equal(wh.sign(v.msg_id, new Date(v.timestamp * 1000), v.payload), v.signature);
  }
});

describe('deliveries', () => {
  let worker; let hooks; let client;

  before(async () => {
    hooks = await startWebhookReceiver({ failFirst: 1 });
    worker = await startWorker({ vars: VARS });
    client = await onboard(worker.url, sampleConfig({ webhook_url: hooks.url }));
    hooks.secrets.push(client.webhook_secret);
    await setRates(worker.url);
  });

  after(async () => {
    await worker?.stop();
    await hooks?.stop();
  });

  test('a new client gets a whsec_ base64 secret, and every delivery verifies with it; a retry keeps its webhook-id and is signed afresh', async () => {
    assert.match(client.webhook_secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const placed = await placeOrder(worker.url, client.api_key, 'erin', orderBody({ amount: '20.00' }), 'erin-1');
    assert.equal(placed.status, 201, placed.text);
    const got = await eventually(() => {
      const mine = hooks.received.filter((h) => h.body.data.order_id === placed.body.id);
      return mine.length === 4 ? mine : null;
    }, { timeoutMs: 40_000 });
    assert.ok(got.every((h) => h.verified));
    assert.deepEqual(got.map((h) => h.body.sequence), [1, 2, 3, 4]);
    for (const h of got) {
      assert.equal(h.headers['webhook-id'], h.body.event_id);
      assert.match(h.headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
      assert.ok(Math.abs(Number(h.headers['webhook-timestamp']) - h.at / 1000) < 10);
      assert.ok(!verifyWebhook('whsec_d3Jvbmcgc2VjcmV0IGtleSBieXRlcw==', h.raw, h.headers));
    }
    // The first attempt (500) and the delivery share the webhook-id, with other timestamps.
    const first = hooks.attempts[0];
    assert.equal(first.id, got[0].headers['webhook-id']);
    assert.equal(hooks.attempts.filter((a) => a.id === first.id).length, 2);
    const [event] = (await events(worker.url, client.api_key, `?order_id=${placed.body.id}&delivery_state=delivered&limit=100`)).events.filter((e) => e.sequence === 1);
    assert.equal(event.delivery.attempts, 2);
    assert.equal(event.delivery.state, 'delivered');
    assert.deepEqual(event.payload, got[0].body);
  });

  test('GET /v1/events filters by order, type and state, pages with a cursor, and shows only the caller\'s events', async () => {
    const order = (await placeOrder(worker.url, client.api_key, 'fay', orderBody({ amount: '20.00' }), 'fay-1')).body;
    await eventually(async () => (await events(worker.url, client.api_key, `?order_id=${order.id}&delivery_state=delivered`)).events.length === 4, { timeoutMs: 40_000 });
    const page1 = await events(worker.url, client.api_key, `?order_id=${order.id}&type=order.status_changed&limit=3`);
    assert.deepEqual(page1.events.map((e) => e.sequence), [4, 3, 2]);
    assert.ok(page1.next_cursor);
    const page2 = await events(worker.url, client.api_key, `?order_id=${order.id}&limit=3&cursor=${page1.next_cursor}`);
    assert.deepEqual(page2.events.map((e) => e.sequence), [1]);
    assert.equal(page2.next_cursor, null);
    assert.deepEqual((await events(worker.url, client.api_key, `?order_id=${order.id}&delivery_state=failed`)).events, []);
    assertProblem(assert, await call(worker.url, 'GET', '/v1/events?delivery_state=lost', { token: client.api_key }), 400, 'invalid_parameter');
    assertProblem(assert, await call(worker.url, 'GET', '/v1/events?type=order.created', { token: client.api_key }), 400, 'invalid_parameter');
    const other = await onboard(worker.url);
    assert.deepEqual((await events(worker.url, other.api_key, `?order_id=${order.id}`)).events, []);
    assertProblem(assert, await call(worker.url, 'POST', `/v1/events/${page2.events[0].id}/redeliver`, { token: other.api_key }), 404, 'not_found');
  });

  test('redeliver sends a delivered event again with the same webhook-id', async () => {
    const [last] = (await events(worker.url, client.api_key, '?delivery_state=delivered&limit=1')).events;
    const before = hooks.received.filter((h) => h.headers['webhook-id'] === last.id).length;
    const r = await call(worker.url, 'POST', `/v1/events/${last.id}/redeliver`, { token: client.api_key });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.delivery.state, 'pending');
    assert.equal(r.body.delivery.attempts, 0);
    await eventually(() => hooks.received.filter((h) => h.headers['webhook-id'] === last.id).length === before + 1);
    const again = hooks.received.filter((h) => h.headers['webhook-id'] === last.id).at(-1);
    assert.ok(again.verified);
    assert.equal(again.raw, JSON.stringify(last.payload));
  });

  test('a 3xx is a failure and is not followed; the event stays pending with the reason', async () => {
    hooks.mode = 'redirect';
    const seen = hooks.attempts.length;
    const order = (await placeOrder(worker.url, client.api_key, 'gus', orderBody({ amount: '20.00' }), 'gus-1')).body;
    const [event] = await eventually(async () => {
      const list = (await events(worker.url, client.api_key, `?order_id=${order.id}`)).events.filter((e) => e.sequence === 1);
      return list[0]?.delivery.attempts >= 2 ? list : null;
    });
    assert.equal(event.delivery.state, 'pending');
    assert.match(event.delivery.last_error, /HTTP 302: redirects are not followed/);
    // Each attempt is one POST: a followed redirect would have been a second request.
    const mine = hooks.attempts.slice(seen).filter((a) => a.id === event.id);
    assert.ok(mine.length >= 2 && mine.length <= event.delivery.attempts + 1, JSON.stringify(mine));
    hooks.mode = 'up';
    await eventually(async () => (await events(worker.url, client.api_key, `?order_id=${order.id}&delivery_state=delivered`)).events.length === 4, { timeoutMs: 40_000 });
  });

  test('an event of a client with no webhook URL is no_endpoint when written; redeliver sends it once a URL is set', async () => {
    const quiet = await onboard(worker.url);
    const order = (await placeOrder(worker.url, quiet.api_key, 'gus', orderBody({ amount: '20.00' }), 'gus-1')).body;
    const [first] = (await events(worker.url, quiet.api_key, `?order_id=${order.id}`)).events;
    assert.equal(first.sequence, 1);
    assert.equal(first.delivery.state, 'no_endpoint');
    assert.equal(first.delivery.attempts, 0, 'nothing was queued for it');
    // Its order still settles, each event written no_endpoint.
    await eventually(async () => (await events(worker.url, quiet.api_key, `?order_id=${order.id}&delivery_state=no_endpoint`)).events.length === 4, { timeoutMs: 40_000 });
    const put = await admin(worker.url, 'PUT', `/v1/admin/clients/${quiet.client_id}/config`, sampleConfig({ webhook_url: hooks.url }));
    assert.equal(put.status, 200, put.text);
    const r = await call(worker.url, 'POST', `/v1/events/${first.id}/redeliver`, { token: quiet.api_key });
    assert.equal(r.status, 202, r.text);
    hooks.mode = 'up';
    await eventually(() => hooks.received.some((h) => h.headers['webhook-id'] === first.id));
    const got = hooks.received.find((h) => h.headers['webhook-id'] === first.id);
    assert.ok(verifyWebhook(quiet.webhook_secret, got.raw, got.headers), 'signed with this client\'s secret');
    assert.equal(got.raw, JSON.stringify(first.payload));
  });

  test('a 410 disables the endpoint, says so, and fails the events; a new configuration enables it again', async () => {
    hooks.mode = 'gone';
    const order = (await placeOrder(worker.url, client.api_key, 'hal', orderBody({ amount: '20.00' }), 'hal-1')).body;
    const endpoint = await eventually(async () => {
      const r = await call(worker.url, 'GET', '/v1/webhook-endpoint', { token: client.api_key });
      return r.body.enabled === false ? r.body : null;
    });
    assert.equal(endpoint.url, hooks.url);
    assert.match(endpoint.disabled_reason, /410 Gone/);
    assert.ok(endpoint.disabled_at);
    const failed = await eventually(async () => {
      const list = (await events(worker.url, client.api_key, `?order_id=${order.id}&delivery_state=failed`)).events;
      return list.length === 4 ? list : null;
    }, { timeoutMs: 40_000 });
    // Only the first event reached the endpoint; the others were failed without a POST.
    const posted = new Set(hooks.attempts.filter((a) => a.mode === 'gone').map((a) => a.id));
    assert.deepEqual([...posted], [failed.find((e) => e.sequence === 1).id]);
    assert.match(failed.find((e) => e.sequence === 2).delivery.last_error, /disabled/);

    hooks.mode = 'up';
    const put = await admin(worker.url, 'PUT', `/v1/admin/clients/${client.client_id}/config`, sampleConfig({ webhook_url: hooks.url }));
    assert.equal(put.status, 200, put.text);
    assert.equal((await call(worker.url, 'GET', '/v1/webhook-endpoint', { token: client.api_key })).body.enabled, true);
    for (const e of [...failed].sort((a, b) => a.sequence - b.sequence)) {
      assert.equal((await call(worker.url, 'POST', `/v1/events/${e.id}/redeliver`, { token: client.api_key })).status, 202);
    }
    await eventually(async () => (await events(worker.url, client.api_key, `?order_id=${order.id}&delivery_state=delivered`)).events.length === 4, { timeoutMs: 40_000 });
  });
});

test('a delivery the queue gives up on is a dead letter the operator lists and replays', { timeout: 180_000 }, async () => {
  const hooks = await startWebhookReceiver();
  const worker = await startWorker({ vars: { ...VARS, FAULT_INJECTION: 'fail_batch:claim_delivery' } });
  try {
    const client = await onboard(worker.url, sampleConfig({ webhook_url: hooks.url }));
    await setRates(worker.url);
    const order = (await placeOrder(worker.url, client.api_key, 'ida', orderBody({ amount: '20.00' }), 'ida-1')).body;
    const [first] = (await events(worker.url, client.api_key, `?order_id=${order.id}`)).events;
    // max_retries = 5 with 2 s retry delays: the first delivery message is dead-lettered.
    const letter = await eventually(async () => {
      const r = await admin(worker.url, 'GET', '/v1/admin/dead-letters');
      return r.body.dead_letters.find((d) => d.job.kind === 'deliver' && d.job.event_id === first.id);
    }, { timeoutMs: 90_000, intervalMs: 1000 });
    assert.equal(letter.queue, 'cryptoexchange-webhooks');
    assert.equal(letter.replayed_at, null);
    const replayed = await admin(worker.url, 'POST', `/v1/admin/dead-letters/${letter.id}/replay`);
    assert.equal(replayed.status, 200, replayed.text);
    assert.ok(replayed.body.replayed_at);
    const open = await admin(worker.url, 'GET', '/v1/admin/dead-letters');
    assert.ok(!open.body.dead_letters.some((d) => d.id === letter.id));
    const all = await admin(worker.url, 'GET', '/v1/admin/dead-letters?all=true');
    assert.ok(all.body.dead_letters.some((d) => d.id === letter.id));
    assertProblem(assert, await admin(worker.url, 'POST', '/v1/admin/dead-letters/nope/replay'), 404, 'not_found');
    assertProblem(assert, await call(worker.url, 'GET', '/v1/admin/dead-letters', { token: client.api_key }), 401, 'unauthorized');
  } finally {
    await worker.stop();
    await hooks.stop();
  }
});
