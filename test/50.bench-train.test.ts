/**
 * `cnn bench train`: the figures the README's table and `npm run bench:peers` read, on a short run of
 * both seed models, and clear errors for bad options.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { packageRoot } from '../src/version.js';

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

test('npm run bench:peers runs the peer on the same data and reports our ratio to its best', () => {
  // A stand-in for python3 + torch_seed_models.py that prints the peer's JSON lines, so the test needs
  // no PyTorch: it checks the script's plumbing and arithmetic, not PyTorch's speed.
  const fake = join(home, 'fake-python.sh');
  writeFileSync(
    fake,
    `#!/bin/sh
if [ "$1" = "-c" ]; then exit 0; fi
echo "$@" > "${join(home, 'peer-args.txt')}"
echo '{"peer":"pytorch-fake","epoch":1,"images_per_s":100.0,"eval_s":2.0}'
echo '{"peer":"pytorch-fake","epoch":2,"images_per_s":200.0,"eval_s":4.0}'
`,
  );
  chmodSync(fake, 0o755);
  const script = join(packageRoot, 'dist', 'scripts', 'bench-peers.js');
  const r = spawnSync(process.execPath, [script, '--batches', '5', '--repeat', '1', '--configs', 'mnist.json', '--threads', '1', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, ...env, CNN_PYTHON: fake, CNN_TORCH_PEER: fake },
  });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
  assert.equal(o.peer, 'pytorch-fake');
  assert.equal(o.peer_train_images_per_s, 200, 'the warm second epoch is the figure');
  assert.equal(o.peer_eval_images_per_s, 2500, '10,000 test images in 4 s');
  assert.ok(Math.abs((o.train_ratio_vs_peer_best as number) - (o.train_images_per_s as number) / 200) < 0.01);
  const args = readFileSync(join(home, 'peer-args.txt'), 'utf8');
  assert.match(args, /mnist .*mnist.* --epochs 2 --threads 1 --limit 160/);
});
