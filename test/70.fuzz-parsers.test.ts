/**
 * A short, deterministic fuzz run over every parser of outside data (config JSON, IDX raw and gzip,
 * weights files, TensorFlow.js model.json + weights): mutants of valid seeds (bit flips,
 * truncation, inserted bytes, numbers like -1, 2^31, 2^53, NaN, huge arrays, deep nesting, wrong
 * types). Every case must load or be refused with CnnError, within its time bound. `npm run fuzz`
 * runs the same targets with random seeds for longer (scripts/fuzz.ts).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from './helpers/fuzz/runner.js';
import { TARGETS } from './helpers/fuzz/targets.js';

const SEED = 20261201;
const CASES_PER_TARGET = 500;

test(`fuzzing ${TARGETS.map((t) => t.name).join(', ')}: ${CASES_PER_TARGET} cases each, seed ${SEED}, only CnnError`, { timeout: 300_000 }, async () => {
  const report = await runFuzz({ seed: SEED, casesPerTarget: CASES_PER_TARGET, caseTimeoutMs: 10_000 });
  assert.deepEqual(report.seedFailures, [], 'every seed loads as it is');
  const failures = report.failures.map((f) => `${f.target} case ${f.index} (${f.kind}): ${f.message}\n${f.stack ?? ''}`);
  assert.deepEqual(failures, [], 'cases that threw something other than CnnError, hung or crashed');
  for (const [name, s] of Object.entries(report.targets)) {
    assert.equal(s.cases, CASES_PER_TARGET, name);
    // The mutants reach both outcomes: some still load, most are refused with a reason.
    assert.ok(s.ok > 0 && s.refused > 0, `${name}: ${s.ok} loaded, ${s.refused} refused`);
  }
});
