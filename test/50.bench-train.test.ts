/**
 * `cnn bench train`: the figures the README's table and `npm run bench:peers` read (speed, FLOPs per
 * image, GFLOP/s and share of peak), on a short run of both seed models, and clear errors for bad options.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';

const home = warmDatasetHome(mkdtempSync(join(tmpdir(), 'cnn-bench-test-')));
const env = { CNN_HOME: home };
test.after(() => rmSync(home, { recursive: true, force: true }));

for (const config of ['mnist.json', 'fashion-mnist.json']) {
  test(`bench train --json reports speed, memory and accuracy for ${config}`, () => {
    const r = runCli(['bench', 'train', '--config', config, '--batches', '20', '--warmup', '2', '--threads', '2', '--batch-size', '16', '--eval-images', '2000', '--peak-seconds', '0.05', '--json'], { env, cwd: home });
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
    // 22 batches of 16 images already beat chance (10%) on the first 2,000 test images.
    assert.equal(o.eval_images, 2000);
    assert.ok((o.test_accuracy as number) > 0.2 && (o.test_accuracy as number) <= 1, `test_accuracy ${String(o.test_accuracy)}`);
    // The work: FLOPs per training image from the layer shapes (test/52.flops.test.ts has the hand
    // counts), GFLOP/s = images/s x that, and its share of the peak measured for this ISA and 2 threads.
    assert.equal(o.data, 'real');
    assert.equal(o.flops_per_image, config === 'mnist.json' ? 2_467_440 : 16_376_064);
    const gflops = ((o.train_images_per_s as number) * (o.flops_per_image as number)) / 1e9;
    assert.ok(Math.abs((o.train_gflops as number) - gflops) <= 0.05 + gflops * 0.001, `train_gflops ${String(o.train_gflops)} vs ${gflops}`);
    assert.equal(o.peak_source, 'measured');
    assert.ok((o.peak_gflops as number) > 0, `peak_gflops ${String(o.peak_gflops)}`);
    // From the unrounded GFLOP/s; peak_gflops is rounded to 0.1, so allow half a percent of the share.
    const pct = (100 * gflops) / (o.peak_gflops as number);
    assert.ok(Math.abs((o.percent_of_peak as number) - pct) <= 0.1 + pct * 0.005, `percent_of_peak ${String(o.percent_of_peak)} vs ${pct}`);
  });
}

test('bench train --peak divides by the given peak instead of measuring one', () => {
  const r = runCli(['bench', 'train', '--config', 'mnist.json', '--synthetic', '--batches', '5', '--warmup', '1', '--threads', '1', '--peak', '1', '--eval-images', '256', '--peak-seconds', '0.05', '--json'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim()) as Record<string, number | string>;
  assert.equal(o.peak_source, 'given');
  assert.equal(o.peak_gflops, 1);
  // A peak of 1 GFLOP/s: the share in percent is 100 x the achieved GFLOP/s (from images/s, which is
  // rounded to a whole image, not from train_gflops, rounded to 0.1: 4.4 could be 4.35 to 4.45).
  const gflops = ((o.train_images_per_s as number) * (o.flops_per_image as number)) / 1e9;
  assert.ok(Math.abs((o.percent_of_peak as number) - 100 * gflops) <= 0.1 + 100 * gflops * 0.001, JSON.stringify(o));
});

test('bench train rejects a --peak that is not a positive number, naming the option', () => {
  const r = runCli(['bench', 'train', '--config', 'mnist.json', '--peak', 'fast'], { env, cwd: home });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--peak must be a number, got "fast"/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('bench train prints a readable summary without --json', () => {
  const r = runCli(['bench', 'train', '--config', 'mnist.json', '--batches', '5', '--warmup', '0', '--threads', '1', '--eval-images', '300', '--peak-seconds', '0.05'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /mnist\.json: 1 thread\(s\), batch 32/);
  assert.match(r.stdout, /train \d+ images\/s \(5 batches\)/);
  assert.match(r.stdout, /eval  \d+ images\/s \(test accuracy [\d.]+% of 300 images\)/);
  assert.match(r.stdout, /work  2\.47 MFLOP per training image: [\d.]+ GFLOP\/s, [\d.]+% of the [\d.]+ GFLOP\/s (scalar|avx2|avx512|neon) peak at 1 thread\(s\) \(measured\)/);
  assert.doesNotMatch(r.stdout, /synthetic/);
  assert.match(r.stdout, /peak RSS \d+ MB/);
});

test('bench train --profile says where a step goes: every layer forward and backward, the loss, the update, the rest', () => {
  const r = runCli(['bench', 'train', '--config', 'fashion-mnist.json', '--batches', '8', '--warmup', '1', '--threads', '2', '--eval-images', '64', '--peak-seconds', '0.05', '--profile', '--json'], { env, cwd: home });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { profile: { part: string; forward_us: number; backward_us: number; percent: number }[] };
  const parts = o.profile.map((p) => p.part);
  assert.deepEqual(parts, ['conv2d', 'max_pooling2d', 'conv2d_1', 'max_pooling2d_1', 'conv2d_2', 'flatten', 'dense', 'dense_1', '(loss)', '(update)', '(other)']);
  for (const p of o.profile.slice(0, 8)) assert.ok(p.forward_us > 0 && p.backward_us > 0, JSON.stringify(p));
  // The convolutions hold most of the arithmetic: conv2d_1 (32 -> 64 filters on 13x13) outweighs flatten.
  const share = (name: string) => o.profile.find((p) => p.part === name)!.percent;
  assert.ok(share('conv2d_1') > share('flatten'), JSON.stringify(o.profile));
  const total = o.profile.reduce((t, p) => t + p.percent, 0);
  assert.ok(Math.abs(total - 100) < 1.5, `the parts add up to the step: ${total}%`);
  const text = runCli(['bench', 'train', '--config', 'mnist.json', '--batches', '3', '--warmup', '0', '--threads', '1', '--eval-images', '64', '--peak-seconds', '0.05', '--profile'], { env, cwd: home });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /profile, microseconds per step/);
  assert.match(text.stdout, /^ {4}conv2d_1\s+[\d.]+\s+[\d.]+\s+[\d.]+%$/m);
  assert.match(text.stdout, /^ {4}\(update\)\s+0\.0\s+[\d.]+\s+[\d.]+%$/m);
});

test('bench train rejects a bad --batches with exit code 2 and names the option', () => {
  const r = runCli(['bench', 'train', '--config', 'mnist.json', '--batches', '0'], { env, cwd: home });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--batches/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
