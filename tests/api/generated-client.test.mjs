// A TypeScript client generated from the running worker's /openapi.json (npm
// openapi-typescript + openapi-fetch, pinned) runs the seed's whole flow: a client
// created through the admin API, its config, rates, a quote, an address, an order polled
// to `completed`, and the list. tsc type-checks the flow against the generated types first.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { ADMIN_TOKEN, ROOT, startWorker } from '../support/worker.mjs';

const DIR = join(ROOT, 'tests', 'api', 'generated-client');
const BIN = join(ROOT, 'node_modules', '.bin');
// Asynchronous, so the event loop keeps serving the HTTP client's sockets meanwhile (a
// blocked loop misses the server closing an idle keep-alive socket, then reuses it).
const run = promisify(execFile);

let worker;

before(async () => {
  worker = await startWorker();
});

after(async () => {
  await worker?.stop();
});

test('the generated TypeScript client type-checks and runs the whole flow', async () => {
  const document = await (await fetch(`${worker.url}/openapi.json`)).text();
  writeFileSync(join(DIR, 'openapi.json'), document);
  // Defaults make request fields optional, not required (the flag's default is for responses).
  await run(join(BIN, 'openapi-typescript'), ['openapi.json', '-o', 'schema.d.ts', '--default-non-nullable', 'false'], { cwd: DIR });
  try {
    await run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], { cwd: DIR });
  } catch (e) {
    assert.fail(`tsc refused the flow against the generated types:\n${e.stdout}${e.stderr}`);
  }

  const { runFlow } = await import(join(DIR, 'flow.ts'));
  const r = await runFlow(worker.url, ADMIN_TOKEN, randomUUID());
  assert.match(r.clientId, /^cli_[0-9a-f]{32}$/);
  assert.equal(r.configName, 'Generated client shop');
  assert.equal(r.rateCount, 1);
  assert.equal(r.address.address, 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu'); // BIP-84 vector, index 0
  assert.equal(r.placed.status, 'pending');
  assert.equal(r.placed.quote_id, r.quote.id);
  assert.equal(r.placed.crypto_amount, r.quote.crypto_amount);
  assert.equal(r.completed.status, 'completed');
  assert.deepEqual(r.completed.status_history.map((s) => s.status), ['pending', 'processing', 'sent', 'completed']);
  assert.deepEqual(r.listed.orders.map((o) => o.id), [r.placed.id]);
});
