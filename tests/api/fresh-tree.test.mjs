// `wrangler dev` in a copy of the repository where the demo page (web-demo/dist, the
// assets directory) was never built: wrangler.toml's build command (scripts/build) must
// make it before wrangler looks for it, as on a fresh clone. The npm package and the
// worker are copied built (with their times, so the build sees them fresh), which keeps
// this test from compiling Rust; scripts/build builds them too when they are missing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, build, ensureDevVars, startWorker } from '../support/worker.mjs';

const copy = mkdtempSync(join(tmpdir(), 'cx-fresh-tree-'));
let worker;

before(async () => {
  build(ROOT);
  ensureDevVars();
  // The repository's files as a clone has them (tracked and new, not ignored), times kept.
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
    .toString().split('\0').filter((f) => f && existsSync(join(ROOT, f)));
  execFileSync('cp', ['-a', '--parents', '-t', copy, ...files], { cwd: ROOT });
  execFileSync('cp', ['-a', '--parents', '-t', copy, 'core/pkg', 'edge-worker/build'], { cwd: ROOT });
  // cp gives the directories it creates the current time, which the build's freshness
  // checks (find -newer, directories included) would take for a change.
  execFileSync('find', [copy, '-type', 'd', '-exec', 'touch', '-d', '@0', '{}', '+']);
  copyFileSync(join(ROOT, '.dev.vars'), join(copy, '.dev.vars'));
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  assert.equal(existsSync(join(copy, 'web-demo', 'dist')), false);
  worker = await startWorker({ root: copy, prebuild: false });
});

after(async () => {
  await worker?.stop();
  rmSync(copy, { recursive: true, force: true });
});

test('wrangler dev builds the assets directory itself and serves the demo page and the API', async () => {
  assert.ok(existsSync(join(copy, 'web-demo', 'dist', 'index.html')), 'web-demo/dist was not built');
  const page = await fetch(`${worker.url}/`);
  assert.equal(page.status, 200);
  assert.equal(await page.text(), readFileSync(join(ROOT, 'web-demo', 'src', 'index.html'), 'utf8'));
  const wasm = await fetch(`${worker.url}/pkg/cryptoexchange_core_bg.wasm`);
  assert.equal(wasm.status, 200);
  assert.deepEqual(
    Buffer.from(await wasm.arrayBuffer()),
    readFileSync(join(ROOT, 'core', 'pkg', 'web', 'cryptoexchange_core_bg.wasm')),
  );
  const health = await fetch(`${worker.url}/healthz`);
  assert.equal(health.status, 200);
});
