/**
 * The longer share of the parser fuzzing (test/70.fuzz-parsers.test.ts runs 60 cases per target in
 * npm test): 1,000 mutants per target from another seed, each loaded or refused with CnnError.
 */
import test from 'node:test';
import { assertFuzzClean } from '../helpers/fuzz/assert-clean.js';
import { TARGETS } from '../helpers/fuzz/targets.js';

const SEED = 20261202;
const CASES_PER_TARGET = 1000;

test(`fuzzing ${TARGETS.map((t) => t.name).join(', ')}: ${CASES_PER_TARGET} cases each, seed ${SEED}, only CnnError`, { timeout: 900_000 }, () =>
  assertFuzzClean(SEED, CASES_PER_TARGET),
);
