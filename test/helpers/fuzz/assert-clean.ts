/** The checks every fixed-seed fuzz test makes of a run (test/70.fuzz-parsers, test/slow/70.fuzz-parsers-long). */
import assert from 'node:assert/strict';
import { runFuzz } from './runner.js';

/** Runs `casesPerTarget` mutants of every target from `seed`: each loads or is refused with CnnError, in time. */
export async function assertFuzzClean(seed: number, casesPerTarget: number): Promise<void> {
  const report = await runFuzz({ seed, casesPerTarget, caseTimeoutMs: 10_000 });
  assert.deepEqual(report.seedFailures, [], 'every seed loads as it is');
  const failures = report.failures.map((f) => `${f.target} case ${f.index} (${f.kind}): ${f.message}\n${f.stack ?? ''}`);
  assert.deepEqual(failures, [], 'cases that threw something other than CnnError, hung or crashed');
  for (const [name, s] of Object.entries(report.targets)) {
    assert.equal(s.cases, casesPerTarget, name);
    // The mutants reach both outcomes: some still load, most are refused with a reason.
    assert.ok(s.ok > 0 && s.refused > 0, `${name}: ${s.ok} loaded, ${s.refused} refused`);
  }
}
