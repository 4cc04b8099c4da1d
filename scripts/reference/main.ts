/**
 * `npm run docs:reference`: regenerates docs/reference.md from the code. `-- --check` only compares
 * and exits 1 when the committed file is out of date. Either way it exits 1 when something in the
 * code has no description in scripts/reference/catalog/ (listed on stderr).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReference, REFERENCE_PATH } from './build-reference.ts';
import { REPO_ROOT } from './scan/repo-files.ts';

const check = process.argv.includes('--check');
const { markdown, problems } = await buildReference();
const file = join(REPO_ROOT, REFERENCE_PATH);
let current = '';
try {
  current = readFileSync(file, 'utf8');
} catch {
  // not written yet
}

for (const problem of problems) console.error(`reference: ${problem}`);
if (check) {
  if (current !== markdown) {
    console.error(`${REFERENCE_PATH} is out of date: run npm run docs:reference`);
    process.exitCode = 1;
  }
} else if (current !== markdown) {
  writeFileSync(file, markdown);
  console.log(`wrote ${REFERENCE_PATH}`);
} else {
  console.log(`${REFERENCE_PATH} is up to date`);
}
if (problems.length > 0) process.exitCode = 1;
