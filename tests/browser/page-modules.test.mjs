// The page's DOM-free modules, run in Node: the API client's error mapping (against a
// loopback server answering problem+json) and the estimate/quote comparison.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ApiError, createApi } from '../../web-demo/src/api.js';
import { differences, flatten, pricedFields } from '../../web-demo/src/quote-view.js';

describe('api client', () => {
  let server;
  let base;
  const seen = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/v1/rates') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"rates":[],"max_age_seconds":300}');
        } else if (req.url === '/v1/quotes') {
          res.writeHead(422, { 'content-type': 'application/problem+json' }).end(JSON.stringify({
            type: '/problems/amount_below_fees', title: 'Request refused', status: 422,
            detail: 'the amount does not cover the fees', code: 'amount_below_fees',
          }));
        } else {
          res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
        }
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
  });

  after(() => new Promise((r) => server.close(r)));

  test('sends the bearer key and returns the JSON body', async () => {
    const api = createApi({ baseUrl: base, apiKey: () => 'cx_live_abc' });
    assert.deepEqual(await api.rates(), { rates: [], max_age_seconds: 300 });
    assert.equal(seen.at(-1).headers.authorization, 'Bearer cx_live_abc');
  });

  test('turns a problem+json answer into an ApiError with its code, status and detail', async () => {
    const api = createApi({ baseUrl: base, apiKey: () => 'k' });
    const error = await api.createQuote({ amount: '0.01' }).catch((e) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'amount_below_fees');
    assert.equal(error.status, 422);
    assert.equal(error.message, 'the amount does not cover the fees');
    assert.equal(seen.at(-1).body, '{"amount":"0.01"}');
    assert.equal(seen.at(-1).headers['content-type'], 'application/json');
  });

  test('gives a non-problem error answer a code from its status', async () => {
    const api = createApi({ baseUrl: base, apiKey: () => 'k' });
    const error = await api.config().catch((e) => e);
    assert.equal(error.code, 'http_502');
    assert.equal(error.status, 502);
  });

  test('sends the idempotency key and escapes path segments when placing an order', async () => {
    const api = createApi({ baseUrl: base, apiKey: () => 'k' });
    await api.placeOrder('a b/c', { amount: '1' }, 'key-1').catch(() => {});
    assert.equal(seen.at(-1).url, '/v1/customers/a%20b%2Fc/orders');
    assert.equal(seen.at(-1).headers['idempotency-key'], 'key-1');
  });

  test('reports an unreachable API as network_error', async () => {
    const closed = createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const port = closed.address().port;
    await new Promise((r) => closed.close(r));
    const api = createApi({ baseUrl: `http://127.0.0.1:${port}`, apiKey: () => 'k' });
    const error = await api.rates().catch((e) => e);
    assert.equal(error.code, 'network_error');
    assert.equal(error.status, 0);
  });
});

describe('estimate and quote comparison', () => {
  const estimate = {
    crypto: 'BTC', fiat: 'EUR', amount: '100.00', crypto_amount: '0.00160599',
    fees: { service: { fiat: '1.95' }, total: '3.64' },
  };

  test('flattens nested fields to dotted paths', () => {
    assert.deepEqual(flatten({ a: { b: '1', c: [true] } }), [['a.b', '1'], ['a.c.0', true]]);
  });

  test('ignores the quote id, expiry and livemode, which only the API has', () => {
    const quote = { id: 'quo_1', expires_at: '2026-01-01T00:00:00Z', livemode: false, ...estimate };
    assert.deepEqual(differences(estimate, quote), []);
    assert.deepEqual(pricedFields(quote), pricedFields(estimate));
  });

  test('names every field that differs, nested or missing', () => {
    const quote = { ...estimate, crypto_amount: '0.00160598', fees: { service: { fiat: '1.95' } } };
    assert.deepEqual(differences(estimate, quote).sort(), ['crypto_amount', 'fees.total']);
  });
});
