// Entry point of `node --test tests/api/` (Node 22 runs a directory argument as a
// module, through package.json "main"): loads every *.test.mjs of this directory.
// `node --test tests/api/*.test.mjs` runs them as separate processes instead.
import { readdirSync } from 'node:fs';

for (const file of readdirSync(import.meta.dirname).filter((f) => f.endsWith('.test.mjs')).sort()) {
  await import(`./${file}`);
}
