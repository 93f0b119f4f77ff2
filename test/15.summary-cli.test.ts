/** `cnn summary` as a user runs it (bin/cnn.js; needs `npx tsc` first). */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { layerParamTensors, tensorSize } from '../src/model/params.js';
import { inferShapes } from '../src/model/shapes.js';
import { resolveConfig } from '../src/model/shipped.js';
import { writeWeightsFile, type WeightsTensor } from '../src/model/weights-file.js';
import { packageRoot } from '../src/version.js';

const golden = (name: string): string => readFileSync(join(packageRoot, 'test', 'golden', name), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'cnn-summary-'));
// Piped output with no $COLUMNS: Python's 80-column fallback, as in the goldens.
const piped = { COLUMNS: '' };
// After Keras's table (the goldens, unchanged), the estimate of the native core's training memory.
const MNIST_MEMORY = ' Estimated training memory: 28.93 MiB at batch_size 32 (largest: conv2d_1 (Conv2D), 16.41 MiB)\n';
const FASHION_MEMORY = ' Estimated training memory: 51.76 MiB at batch_size 32 (largest: conv2d_1 (Conv2D), 20.02 MiB)\n';

test('with no option it prints the shipped mnist.json model at 76 columns', () => {
  const r = runCli(['summary'], { env: piped });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, golden('summary-mnist-76.txt') + MNIST_MEMORY);
});

test('--config takes a shipped name from any folder, with or without .json; $COLUMNS sets the width', () => {
  const a = runCli(['summary', '--config', 'fashion-mnist.json'], { cwd: work, env: piped });
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout, golden('summary-fashion-mnist-76.txt') + FASHION_MEMORY);
  const b = runCli(['summary', '--config', 'fashion-mnist'], { cwd: work, env: { COLUMNS: '92' } });
  assert.equal(b.stdout, golden('summary-fashion-mnist-88.txt') + FASHION_MEMORY);
});

test('--json prints the same facts as one JSON object', () => {
  const r = runCli(['summary', '--config', 'mnist', '--json'], { env: piped });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.total_params, 203068);
  assert.equal(j.trainable_params, 203068);
  assert.equal(j.non_trainable_params, 0);
  assert.deepEqual(j.layers[1], { name: 'conv2d_1', type: 'Conv2D', output_shape: [null, 20, 20, 6], params: 456 });
});

test('a bad config exits with code 2, names the file, path and layer, and shows no stack trace', () => {
  const bad = join(work, 'bad.json');
  writeFileSync(bad, JSON.stringify({
    input_shape: [28, 28, 1],
    layers: [{ type: 'Conv2D', filters: 3, kernel_size: 5 }, { type: 'Conv2D', filters: 6, kernel_size: 30 }, { type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }],
  }));
  const r = runCli(['summary', '--config', bad], { env: piped });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `cnn: error: ${bad}: layers[1].kernel_size [conv2d_1 (Conv2D)]: kernel_size 30x30 is larger than its 24x24 input, so the output would be -5x-5; use padding "same" or a smaller kernel_size\n`,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('unreadable or malformed configs and conflicting options are usage errors (exit 2)', () => {
  const broken = join(work, 'broken.json');
  writeFileSync(broken, '{\n  "layers": [\n  ,\n}');
  const cases: [string[], RegExp][] = [
    [['summary', '--config', join(work, 'missing.json')], /cannot read the model config .*missing\.json: no such file/],
    [['summary', '--config', 'no-such-model'], /no config file "no-such-model" here, and no shipped config of that name \(shipped: .*mnist\.json/],
    [['summary', '--config', broken], /broken\.json: not valid JSON/],
    [['summary', '--config', 'mnist', '--weights', 'x.bin'], /give --config or --weights, not both/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args, { env: piped });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('--weights shows the stored model and, with optimizer state, the Optimizer params line', async () => {
  const { config } = resolveConfig('mnist');
  const shapes = inferShapes(config);
  const tensors: WeightsTensor[] = config.layers.flatMap((layer, i) =>
    layerParamTensors(layer, shapes[i].input).map((p) => ({ name: p.name, layer: layer.name, shape: p.shape, trainable: p.trainable, data: new Float32Array(tensorSize(p.shape)) })),
  );
  const file = join(work, 'mnist.weights.bin');
  await writeWeightsFile(file, {
    config,
    tensors,
    optimizer: { type: 'rmsprop', slots: 1, iterations: 18750, state: tensors.map((t) => ({ ...t, data: new Float32Array(t.data.length) })) },
  });
  const r = runCli(['summary', '--weights', file], { env: piped });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, golden('summary-mnist-rmsprop-76.txt') + MNIST_MEMORY);

  const plain = join(work, 'plain.weights.bin');
  await writeWeightsFile(plain, { config, tensors });
  const p = runCli(['summary', '--weights', plain], { env: piped });
  assert.equal(p.stdout, golden('summary-mnist-76.txt') + MNIST_MEMORY);
});
