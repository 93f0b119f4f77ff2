/**
 * A consumer project: package.json depending on "cnn" (node_modules/cnn links to this package, no
 * network), a strict TypeScript file importing from 'cnn', compiled with this repository's tsc against
 * the shipped .d.ts; no `any` may reach the consumer. Then the compiled file runs.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../src/version.js';

const consumer = `
import { sequential, layers, datasets, modelFromConfig, loadModel, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau,
  LearningRateScheduler, CSVLogger, TerminateOnNaN, Callback, CnnError, argMax, optimizers,
  type Logs, type History, type Sequential, type Prediction, type EvaluateResult, type Weight } from 'cnn';

type IsAny<T> = 0 extends 1 & T ? true : false;
type NoAny<T> = IsAny<T> extends true ? never : T;
function noAny<T>(value: NoAny<T>): T { return value as T; }

class StopAt extends Callback {
  constructor(private readonly target: number) { super(); }
  onEpochEnd(_epoch: number, logs: Logs): void {
    if ((logs.accuracy ?? 0) >= this.target) this.model.stopTraining = true;
  }
}

export async function main(): Promise<void> {
  const model: Sequential = sequential({
    inputShape: [8, 8, 1],
    preprocessing: { rescale: 1 / 255 },
    layers: [layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })],
  });
  model.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const images = new Uint8Array(30 * 64).map((_, i) => (i * 7) % 256);
  const labels = new Uint8Array(30).map((_, i) => i % 3);
  const history: History = await model.fit(images, labels, {
    epochs: 2, batchSize: 10, verbose: 0,
    callbacks: [new StopAt(0.99), new EarlyStopping({ monitor: 'loss' }), new ReduceLROnPlateau({ monitor: 'loss' }), new LearningRateScheduler((_e, lr) => lr),
      new TerminateOnNaN(), { onBatchEnd: async (batch: number, logs: Logs) => { noAny(batch); noAny(logs.loss); } }],
  });
  const losses: number[] = noAny(history.history.loss ?? []);
  const epochs: number[] = noAny(history.epoch);
  const p: Prediction = noAny(await model.predict({ data: images.subarray(0, 64), shape: [1, 8, 8, 1] }));
  const e: EvaluateResult = noAny(await model.evaluate(images, labels));
  const w: Weight[] = noAny(model.layers[0].getWeights());
  const shape: number[] = noAny(w[0].shape);
  const data: Float32Array = noAny(w[0].data);
  noAny(model.summary());
  noAny(model.countParams());
  noAny(model.layers[0].outputShape);
  noAny(model.optimizer.learningRate);
  noAny(argMax(p));
  noAny(model.config);
  void datasets.load; void modelFromConfig; void loadModel; void ModelCheckpoint; void CSVLogger;
  try { sequential({ layers: [] }); } catch (err) { if (err instanceof CnnError) noAny(err.code); }
  console.log(JSON.stringify({ losses: losses.length, epochs, probs: p.shape, loss: e.loss > 0, kernel: shape, values: data.length }));
}
main();
`;

test('a strict TypeScript consumer type-checks against the shipped .d.ts and runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-consumer-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { cnn: `file:${packageRoot}` } }));
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    symlinkSync(packageRoot, join(dir, 'node_modules', 'cnn'), 'dir');
    symlinkSync(join(packageRoot, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
    writeFileSync(join(dir, 'main.ts'), consumer);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out', skipLibCheck: false, types: ['node'] }, files: ['main.ts'] }),
    );
    const tsc = join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    // One tsc run type-checks and emits: a type error is its exit code 2 (no separate --noEmit pass).
    const build = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    assert.equal(build.status, 0, `tsc:\n${build.stdout}${build.stderr}`);
    const run = spawnSync(process.execPath, [join(dir, 'out', 'main.js')], { encoding: 'utf8', cwd: dir });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout.trim()), { losses: 2, epochs: [0, 1], probs: [1, 3], loss: true, kernel: [3, 3, 1, 4], values: 36 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the .d.ts files reachable from the package entry declare no `any`', () => {
  const seen = new Set<string>();
  const offenders: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (/^\s*(\*|\/\*|\/\/)/.test(line)) return; // doc comments
      if (/(^|[^\w.'"])any\b(?![\w-])/.test(line.replace(/\/\*.*?\*\/|\/\/.*$/g, '').replace(/'[^']*'|"[^"]*"|`[^`]*`/g, "''"))) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
    });
    for (const m of text.matchAll(/from '(\.[^']+)\.js'/g)) visit(join(dirname(file), `${m[1]}.d.ts`));
  };
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { exports: { '.': { types: string; import: string } } };
  visit(join(packageRoot, pkg.exports['.'].types));
  assert.ok(seen.size > 5, `followed the declarations (${seen.size} files)`);
  assert.deepEqual(offenders, []);
  // Only the entry is exported: internals are not importable by path.
  assert.deepEqual(Object.keys(pkg.exports).sort(), ['.', './package.json']);
});
