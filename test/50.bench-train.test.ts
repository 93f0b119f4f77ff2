/**
 * `cnn bench train`: the figures the README's table and `npm run bench:peers` read, on a short run of
 * both seed models, and clear errors for bad options.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'cnn-bench-test-'));
const env = { CNN_HOME: home };
test.after(() => rmSync(home, { recursive: true, force: true }));

for (const config of ['mnist.json', 'fashion-mnist.json']) {
  test(`bench train --json reports speed, memory and accuracy for ${config}`, () => {
    const r = runCli(['bench', 'train', '--config', config, '--batches', '20', '--warmup', '2', '--threads', '2', '--batch-size', '16', '--json'], { env, cwd: home });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    const o = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(o.config, config);
    assert.equal(o.threads, 2);
    assert.equal(o.batch_size, 16);
    assert.equal(o.batches, 20);
    assert.match(String(o.isa), /^(scalar|avx2|avx512|neon)$/);
    for (const k of ['train_images_per_s', 'eval_images_per_s', 'peak_rss_mb']) {
      assert.ok(typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) > 0, `${k} = ${String(o[k])}`);
    }
    // 22 batches of 16 images already beat chance (10%) on the full test set.
    assert.ok((o.test_accuracy as number) > 0.2 && (o.test_accuracy as number) <= 1, `test_accuracy ${String(o.test_accuracy)}`);
  });
}

test('bench train prints a readable summary without --json', () => {
  const r = runCli(['bench', 'train', '--config', 'mnist.json', '--batches', '5', '--warmup', '0', '--threads', '1'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /mnist\.json: 1 thread\(s\), batch 32/);
  assert.match(r.stdout, /train \d+ images\/s \(5 batches\)/);
  assert.match(r.stdout, /peak RSS \d+ MB/);
});

test('bench train rejects a bad --batches with exit code 2 and names the option', () => {
  const r = runCli(['bench', 'train', '--config', 'mnist.json', '--batches', '0'], { env, cwd: home });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--batches/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
