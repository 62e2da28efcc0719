// Loopback stand-ins for the outside world: a fake Esplora serving recorded answers
// from tests/fixtures/esplora/, and a webhook receiver that records what it gets.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import standardwebhooks from 'standardwebhooks';
import { ROOT } from './worker.mjs';

const { Webhook } = standardwebhooks;

const FIXTURES = join(ROOT, 'tests', 'fixtures', 'esplora');

function listen(server) {
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server.address().port)));
}

/**
 * Fake Esplora: GET /address/{addr} answers tests/fixtures/esplora/{addr}.json when
 * recorded, else the recorded answer for an address never used (zero sums), as Esplora does.
 * Addresses added to `hanging` never get an answer (a stuck upstream).
 */
export async function startFakeEsplora() {
  const requests = [];
  const hanging = new Set();
  const server = createServer((req, res) => {
    requests.push(req.url);
    const m = /^\/address\/([A-Za-z0-9]+)$/.exec(req.url);
    if (m && hanging.has(m[1])) return;
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
  const stop = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return { url: `http://127.0.0.1:${port}`, requests, hanging, stop };
}

/**
 * Webhook receiver: records every POST (headers and raw body). `failFirst` answers 500
 * to that many deliveries first, to exercise retries. `mode` can be switched at any
 * time: 'up' (204), 'down' (503), 'gone' (410), 'redirect' (302 to itself). With
 * `secrets`, every delivery is verified with the npm `standardwebhooks` package
 * (`verified: true` when one of the secrets verifies it) before it is answered.
 */
export async function startWebhookReceiver({ failFirst = 0, secrets = [] } = {}) {
  const received = [];
  const attempts = [];
  let failuresLeft = failFirst;
  const receiver = { mode: 'up', secrets };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      attempts.push({ at: Date.now(), mode: receiver.mode, id: req.headers['webhook-id'] });
      if (receiver.mode === 'down') { res.writeHead(503).end('down'); return; }
      if (receiver.mode === 'gone') { res.writeHead(410).end('gone'); return; }
      if (receiver.mode === 'redirect') { res.writeHead(302, { location: req.url }).end(); return; }
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(500).end('try again');
        return;
      }
      const verified = receiver.secrets.some((secret) => verifyWebhook(secret, raw, req.headers));
      received.push({ headers: req.headers, raw, body: JSON.parse(raw), verified, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  const port = await listen(server);
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    attempts,
    stop: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  });
}

/**
 * Verifies one delivery as a client would, with the npm `standardwebhooks` package
 * (webhook-id, webhook-timestamp within 5 minutes, webhook-signature).
 */
export function verifyWebhook(secret, raw, headers) {
  try {
    new Webhook(secret).verify(raw, {
      'webhook-id': headers['webhook-id'],
      'webhook-timestamp': headers['webhook-timestamp'],
      'webhook-signature': headers['webhook-signature'],
    });
    return true;
  } catch {
    return false;
  }
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
