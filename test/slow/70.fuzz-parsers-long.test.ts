/**
 * The longer share of the parser fuzzing (test/70.fuzz-parsers.test.ts runs 60 cases per target in
 * npm test): 1,000 mutants per target from another seed, each loaded or refused with CnnError.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../helpers/fuzz/runner.js';
import { TARGETS } from '../helpers/fuzz/targets.js';

const SEED = 20261202;
const CASES_PER_TARGET = 1000;

test(`fuzzing ${TARGETS.map((t) => t.name).join(', ')}: ${CASES_PER_TARGET} cases each, seed ${SEED}, only CnnError`, { timeout: 900_000 }, async () => {
  const report = await runFuzz({ seed: SEED, casesPerTarget: CASES_PER_TARGET, caseTimeoutMs: 10_000 });
  assert.deepEqual(report.seedFailures, [], 'every seed loads as it is');
  const failures = report.failures.map((f) => `${f.target} case ${f.index} (${f.kind}): ${f.message}\n${f.stack ?? ''}`);
  assert.deepEqual(failures, [], 'cases that threw something other than CnnError, hung or crashed');
  for (const [name, s] of Object.entries(report.targets)) {
    assert.equal(s.cases, CASES_PER_TARGET, name);
    assert.ok(s.ok > 0 && s.refused > 0, `${name}: ${s.ok} loaded, ${s.refused} refused`);
  }
});
