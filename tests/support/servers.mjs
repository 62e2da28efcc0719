// Loopback stand-ins for the outside world: a fake Esplora serving recorded answers
// from tests/fixtures/esplora/, and a webhook receiver that records what it gets.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { ROOT } from './worker.mjs';

const FIXTURES = join(ROOT, 'tests', 'fixtures', 'esplora');

function listen(server) {
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server.address().port)));
}

/**
 * Fake Esplora: GET /address/{addr} answers tests/fixtures/esplora/{addr}.json when
 * recorded, else the recorded answer for an address never used (zero sums), as Esplora does.
 */
export async function startFakeEsplora() {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    const m = /^\/address\/([A-Za-z0-9]+)$/.exec(req.url);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    const recorded = join(FIXTURES, `${m[1]}.json`);
    const file = existsSync(recorded) ? recorded : join(FIXTURES, '_unused_address.json');
    const body = JSON.parse(readFileSync(file, 'utf8'));
    body.address = m[1];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests, stop: () => new Promise((r) => server.close(r)) };
}

/**
 * Webhook receiver: records every POST (headers and raw body). `failFirst` answers 500
 * to that many deliveries first, to exercise retries.
 */
export async function startWebhookReceiver({ failFirst = 0 } = {}) {
  const received = [];
  let failuresLeft = failFirst;
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(500).end('try again');
        return;
      }
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    stop: () => new Promise((r) => server.close(r)),
  };
}

/** Checks a `CryptoExchange-Signature: t=..,v1=..` header against the raw body. */
export function verifySignature(header, raw, secret) {
  const parts = Object.fromEntries(String(header).split(',').map((p) => p.split('=')));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${raw}`).digest('hex');
  return expected.length === parts.v1.length
    && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually(fn, { timeoutMs = 30_000, intervalMs = 300 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}
