/**
 * A short, deterministic fuzz run over every parser of outside data (config JSON, IDX raw and gzip,
 * weights files, TensorFlow.js model.json + weights): mutants of valid seeds (bit flips,
 * truncation, inserted bytes, numbers like -1, 2^31, 2^53, NaN, huge arrays, deep nesting, wrong
 * types). Every case must load or be refused with CnnError, within its time bound. `npm run fuzz`
 * runs the same targets with random seeds for longer (scripts/fuzz.ts).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../src/model/validate.js';
import { packageRoot } from '../src/version.js';
import { runCli } from './helpers/cli.js';
import { assertFuzzClean } from './helpers/fuzz/assert-clean.js';
import { TARGETS } from './helpers/fuzz/targets.js';
import { tfjsModelJson, writeTfjsModel } from './helpers/tiny-models.js';

const SEED = 20261201;
// npm test's share, chosen to keep the quick tier quick (about 2.5 s); test/slow/70.fuzz-parsers-long
// runs 1,000 per target with another seed, and `npm run fuzz` runs random seeds for as long as asked.
const CASES_PER_TARGET = 60;

test(`fuzzing ${TARGETS.map((t) => t.name).join(', ')}: ${CASES_PER_TARGET} cases each, seed ${SEED}, only CnnError`, { timeout: 300_000 }, () =>
  assertFuzzClean(SEED, CASES_PER_TARGET),
);

// ---- what fuzzing found, kept as tests ---------------------------------------------------------

const deep = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

test('found by fuzzing: a config value nested 100,000 deep is refused with a message, not a stack overflow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-fuzz-found-'));
  try {
    const base = readFileSync(join(packageRoot, 'data', 'mnist.json'), 'utf8');
    for (const [field, replacement] of [
      ['"input_shape": [28, 28, 1]', `"input_shape": ${deep(100_000)}`],
      ['"kernel_size": 5', `"kernel_size": ${deep(100_000)}`],
      ['"optimizer": "rmsprop"', `"optimizer": ${deep(100_000)}`],
    ]) {
      assert.ok(base.includes(field), field);
      const path = join(dir, 'deep.json');
      writeFileSync(path, base.replace(field, replacement));
      const r = runCli(['summary', '--config', path]);
      assert.equal(r.status, 2, `${field}: ${r.stderr}`);
      assert.match(r.stderr, /^cnn: error: .*deep\.json: .*\[\[\[\[\[\[\[\[\[\[\[\[\[\[\[\[\.\.\.\]/, field);
      assert.doesNotMatch(r.stderr, /internal error|call stack/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('found by fuzzing: a config with 200,000 bad values gives a short message, quickly', () => {
  const raw = JSON.parse(readFileSync(join(packageRoot, 'data', 'mnist.json'), 'utf8')) as Record<string, unknown>;
  raw.metrics = new Array(200_000).fill(['accuracy']);
  const started = performance.now();
  assert.throws(() => validateConfig(raw, 'many.json'), (e: Error) => {
    assert.equal(e.name, 'CnnError');
    const lines = e.message.split('\n');
    assert.equal(lines[0], 'many.json: 1000 or more problems in the model config:');
    assert.equal(lines.length, 22);
    assert.equal(lines[21], '  ... and 980 more');
    return true;
  });
  assert.ok(performance.now() - started < 1500, `validation took ${performance.now() - started} ms`);
});

test('found by fuzzing: TF.js shapes nested 100,000 deep are refused with a message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-fuzz-found-'));
  try {
    const model = tfjsModelJson() as { modelTopology: { config: { layers: { config: Record<string, unknown> }[] } }; weightsManifest: { weights: { shape: unknown }[] }[] };
    const text = JSON.stringify(model).replace('"shape":[4,2]', `"shape":${deep(100_000)}`);
    writeTfjsModel(dir, text);
    const r = runCli(['import', '--from', dir, '--out', join(dir, 'out.bin')]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^cnn: error: .*model\.json: weightsManifest\[0\]\.weights\[0\]\.shape \(weight d\/kernel\) must be a list of whole numbers >= 0, found \[\[\[\[/);
    const batch = JSON.stringify(model).replace('"batch_input_shape":[null,2,2,1]', `"batch_input_shape":[null,${deep(100_000)},2,1]`);
    writeTfjsModel(dir, batch);
    const b = runCli(['import', '--from', dir, '--out', join(dir, 'out.bin')]);
    assert.equal(b.status, 1, b.stderr);
    assert.match(b.stderr, /^cnn: error: .*batch_input_shape \[null, \[\[\[\[.*must give fixed sizes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
