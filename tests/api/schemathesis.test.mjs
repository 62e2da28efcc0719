// Schemathesis (PyPI, pinned in scripts/env.sh, installed into .venv/ by scripts/setup) with
// all its checks against the worker under `wrangler dev`: schema-valid requests must be
// accepted, schema-invalid ones refused, every answer must match the document (status,
// content type, headers, body), auth must be enforced, unknown methods refused with 405.
// Bounded by tests/api/schemathesis.toml (examples per operation, seed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { onboard, sampleConfig, setRates } from '../support/api.mjs';
import { startFakeEsplora } from '../support/servers.mjs';
import { ADMIN_TOKEN, ROOT, startWorker } from '../support/worker.mjs';

const BIN = join(ROOT, '.venv', 'bin', 'schemathesis');

let worker; let esplora; let client;

before(async () => {
  esplora = await startFakeEsplora();
  worker = await startWorker({ vars: { ESPLORA_URL_BTC: esplora.url, ESPLORA_URL_LTC: esplora.url } });
  client = await onboard(worker.url, sampleConfig());
  await setRates(worker.url);
});

after(async () => {
  await worker?.stop();
  await esplora?.stop();
});

test('schemathesis finds nothing with all its checks', { timeout: 900_000 }, async (t) => {
  assert.ok(existsSync(BIN), `${BIN} is missing: run scripts/setup`);
  const args = [
    '--config-file', join(ROOT, 'tests', 'api', 'schemathesis.toml'),
    'run', `${worker.url}/openapi.json`,
    '--url', worker.url,
    '--checks', 'all',
    '--no-color',
  ];
  const env = { ...process.env, CX_API_KEY: client.api_key, CX_ADMIN_TOKEN: ADMIN_TOKEN };
  const child = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) process.stdout.write(output);
  const summary = output.split('\n').filter((l) => /generated|Operations:|Seed:|passed|failures/.test(l));
  t.diagnostic(summary.map((l) => l.trim()).join(' | '));
  assert.equal(code, 0, `schemathesis failed (exit ${code}); its report is above`);
});
