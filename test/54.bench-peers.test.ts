/**
 * `npm run bench:peers` (scripts/bench-peers.ts) with stand-in peers: shell scripts in place of python3
 * + torch_seed_models.py and of the Keras venv + keras_seed_models.py that print the peers' JSON lines,
 * so the test needs neither PyTorch nor TensorFlow. It checks the plumbing (which peer gets which model,
 * data and options) and the arithmetic (medians, best peer, ratios), not the peers' speed.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/version.js';
import { warmDatasetHome } from './helpers/warm-datasets.js';
import { bestPeer, bestPeerAnyThreads, formatTable, type Row } from '../scripts/bench-peers-table.js';

const home = warmDatasetHome(mkdtempSync(join(tmpdir(), 'cnn-bench-peers-')), ['mnist']);
test.after(() => rmSync(home, { recursive: true, force: true }));
const script = join(packageRoot, 'dist', 'scripts', 'bench-peers.js');

/** A stand-in Python: `-c` (the module check) succeeds; a run logs its arguments and prints two epochs. */
function fakePeer(name: string, version: string, epoch2: number, evalSeconds: number): string {
  const path = join(home, `${name}.sh`);
  writeFileSync(
    path,
    `#!/bin/sh
if [ "$1" = "-c" ]; then exit 0; fi
echo "$@" >> "${join(home, `${name}-args.txt`)}"
echo '{"peer":"${version}","epoch":1,"images_per_s":10.0,"eval_s":9.0,"eval_count":1000}'
echo '{"peer":"${version}","epoch":2,"images_per_s":${epoch2},"eval_s":${evalSeconds},"eval_count":1000}'
`,
  );
  chmodSync(path, 0o755);
  return path;
}

function failingPeer(): string {
  const path = join(home, 'failing.sh');
  writeFileSync(path, `#!/bin/sh\nif [ "$1" = "-c" ]; then exit 0; fi\necho "Traceback (most recent call last):" >&2\necho "RuntimeError: out of fake memory" >&2\nexit 1\n`);
  chmodSync(path, 0o755);
  return path;
}

function run(args: string[], extraEnv: Record<string, string>) {
  const torch = fakePeer('torch', 'pytorch-fake', 200, 0.5);
  const keras = fakePeer('keras', 'keras-fake', 300, 0.25);
  return spawnSync(process.execPath, [script, '--batches', '5', '--repeat', '1', '--threads', '1', '--eval-images', '256', ...args], {
    encoding: 'utf8',
    // The peer scripts are the stand-ins themselves: a shell script run by sh ignores being an argument.
    env: { ...process.env, CNN_HOME: home, CNN_ISA: '', CNN_PYTHON: torch, CNN_TORCH_PEER: torch, CNN_KERAS_PYTHON: keras, CNN_KERAS_PEER: keras, ...extraEnv },
  });
}

test('bench:peers --json: every found peer per model, the best one and our ratio to it; a missing one is "not found"', () => {
  const r = run(['--configs', 'mnist.json,bench-cifar.json', '--json'], { CNN_TORCH_PYTHON: join(home, 'no-such-python') });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  assert.deepEqual(rows.map((o) => [o.config, o.threads]), [['mnist.json', 1], ['bench-cifar.json', 1]]);
  for (const o of rows) {
    assert.deepEqual(o.peers.pytorch, { version: 'pytorch-fake', train_images_per_s: 200, eval_images_per_s: 2000 }, 'the warm second epoch; 1,000 test images in 0.5 s');
    assert.deepEqual(o.peers.keras, { version: 'keras-fake', train_images_per_s: 300, eval_images_per_s: 4000 });
    assert.equal(o.peers['pytorch-venv'], 'not found');
    assert.equal(o.best_peer, 'keras (keras-fake)');
    assert.equal(o.best_peer_train_images_per_s, 300);
    assert.equal(o.train_ratio_vs_best_peer, Math.round((o.train_images_per_s / 300) * 100) / 100);
    assert.equal(o.eval_ratio_vs_best_peer_eval, Math.round((o.eval_images_per_s / 4000) * 100) / 100);
    assert.ok(o.train_gflops > 0 && o.percent_of_peak > 0, JSON.stringify(o));
    assert.equal(o.train_gflops, Math.round(((o.train_images_per_s * o.flops_per_image) / 1e9) * 10) / 10);
  }
  assert.equal(rows[0]!.data, 'real');
  assert.equal(rows[1]!.data, 'synthetic', 'bench-cifar.json runs on synthetic data, ours and the peers alike');
  const torchArgs = readFileSync(join(home, 'torch-args.txt'), 'utf8').trim().split('\n');
  assert.match(torchArgs[0]!, / mnist \S*mnist\S* --epochs 2 --threads 1 --limit 160$/);
  assert.match(torchArgs[1]!, / cifar synthetic --epochs 2 --threads 1 --limit 160$/);
  assert.match(readFileSync(join(home, 'keras-args.txt'), 'utf8'), / cifar synthetic --epochs 2 --threads 1 --limit 160\n/);
});

test('bench:peers prints a table per model and thread count, and a failing peer does not stop the run', () => {
  const r = run(['--configs', 'bench-cifar.json'], { CNN_KERAS_PYTHON: failingPeer(), CNN_KERAS_PEER: failingPeer() });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const head = lines.findIndex((l) => l.startsWith('model'));
  assert.ok(head >= 0, r.stdout);
  assert.match(lines[head]!, /^model\s+threads\s+ours\s+PyTorch \(python3\)\s+Keras\/TF\s+best peer\s+ours\/best\s+ours\/best any T\s+GFLOP\/s\s+% of peak$/);
  const row = lines[head + 1]!;
  assert.match(row, /^bench-cifar\.json \(synthetic\)\s+1\s+\d+\s+200\s+failed\s+pytorch \(pytorch-fake\)\s+[\d.]+x\s+[\d.]+x\s+[\d.]+\s+[\d.]+%$/);
  // The evaluation table: the torch stand-in evaluates 1000 images in 0.5 s.
  const evalHead = lines.findIndex((l, i) => i > head && l.startsWith('model'));
  assert.match(lines[evalHead]!, /^model\s+threads\s+ours\s+PyTorch \(python3\)\s+Keras\/TF\s+ours\/best$/);
  assert.match(lines[evalHead + 1]!, /^bench-cifar\.json \(synthetic\)\s+1\s+\d+\s+2000\s+failed\s+[\d.]+x$/);
  assert.match(r.stdout, /peer failures:\n {2}bench-cifar\.json 1T keras: failed: RuntimeError: out of fake memory/);
});

test('the table gives ours/best at the same and at any thread count, the evaluation ratios and the speed-up over one thread', () => {
  const peers = { torch: { version: 'pytorch-x', train_images_per_s: 3000, eval_images_per_s: 20000 } };
  const rows: Row[] = [
    { config: 'mnist.json', threads: 1, isa: 'avx512', data: 'real', train_images_per_s: 9000, eval_images_per_s: 40000, peak_rss_mb: 100, flops_per_image: 2e6, train_gflops: 18, percent_of_peak: 9, peers: { torch: { ...peers.torch, train_images_per_s: 4500 } } },
    { config: 'mnist.json', threads: 2, isa: 'avx512', data: 'real', train_images_per_s: 15300, eval_images_per_s: 60000, peak_rss_mb: 100, flops_per_image: 2e6, train_gflops: 30.6, percent_of_peak: 7.5, peers },
  ];
  for (const r of rows) Object.assign(r, bestPeer(r));
  bestPeerAnyThreads(rows);
  rows[1]!.scaling_vs_1_thread = 1.7;
  const text = formatTable(rows, [{ name: 'torch', label: 'PyTorch' }]);
  // 2 threads: 15300 / 3000 = 5.1x at the same thread count, 15300 / 4500 = 3.4x against the peer's 1-thread figure.
  assert.match(text, /^mnist\.json\s+2\s+15300\s+3000\s+torch \(pytorch-x\)\s+5\.1x\s+3\.4x\s+30\.6\s+7\.5%$/m);
  assert.match(text, /^mnist\.json\s+1\s+9000\s+4500\s+torch \(pytorch-x\)\s+2x\s+2x\s+18\.0\s+9\.0%$/m);
  assert.match(text, /^mnist\.json\s+2\s+60000\s+20000\s+3x$/m);
  assert.match(text, /^ {2}mnist\.json: 2 threads \/ 1 thread = 1\.7x$/m);
});

test('bench:peers says which peers it did not find, and prints our figures alone without any', () => {
  const missing = join(home, 'missing-python');
  const r = run(['--configs', 'mnist.json'], { CNN_PYTHON: missing, CNN_KERAS_PYTHON: missing });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^peer pytorch \\(PyTorch \\(python3\\)\\): not found \\(no ${missing}\\)$`, 'm'));
  assert.match(r.stdout, new RegExp(`^peer keras \\(Keras/TF\\): not found \\(no ${missing}\\)$`, 'm'));
  assert.match(r.stdout, /^mnist\.json\s+1\s+\d+\s+not found\s+not found\s+-\s+-\s+-\s+[\d.]+\s+[\d.]+%$/m);
});
