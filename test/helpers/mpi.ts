/**
 * Running `cnn` under Open MPI's mpirun for the distributed tests, and the reasons to skip them: no
 * mpirun on the PATH, or a cnn built without libcnn_mpi.so.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIdx } from '../../src/data/idx.js';
import { readWeightsFile } from '../../src/model/weights-file.js';
import { packageRoot } from '../../src/version.js';
import { cnnBin, type CliResult } from './cli.js';

export const mpiLibrary = join(packageRoot, 'build', 'Release', 'libcnn_mpi.so');

/** Why the MPI tests cannot run here, or undefined when they can. */
export function mpiSkipReason(): string | undefined {
  const probe = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev, then npm run build)';
  if (!/Open MPI/i.test(`${probe.stdout}${probe.stderr}`)) return 'mpirun is not Open MPI (these tests use its options)';
  if (!existsSync(mpiLibrary)) return `${mpiLibrary} was not built (install libopenmpi-dev, then npm run build)`;
  return undefined;
}

/** mpirun's options for this machine: root needs --allow-run-as-root; a small machine --oversubscribe. */
export function mpirunArgs(np: number, extra: string[] = []): string[] {
  const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
  return [...root, '--oversubscribe', '--mca', 'btl', 'self,vader,tcp', ...extra, '-np', String(np)];
}

export function runMpi(np: number, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; mpiArgs?: string[] }): CliResult {
  const r = spawnSync('mpirun', [...mpirunArgs(np, options.mpiArgs), process.execPath, cnnBin, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, ...options.env },
  });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export function spawnMpi(np: number, args: string[], options: SpawnOptions & { mpiArgs?: string[] }) {
  return spawn('mpirun', [...mpirunArgs(np, options.mpiArgs), process.execPath, cnnBin, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The largest absolute difference between two weights files' tensors (same names and sizes). */
export async function maxWeightDiff(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all([readWeightsFile(a), readWeightsFile(b)]);
  let max = 0;
  for (const t of x.tensors) {
    const u = y.tensors.find((v) => v.name === t.name);
    if (!u || u.data.length !== t.data.length) throw new Error(`${b} lacks ${t.name} or has another size`);
    for (let i = 0; i < t.data.length; i++) max = Math.max(max, Math.abs(t.data[i] - u.data[i]));
  }
  return max;
}

/**
 * A small IDX dataset (8x8 images of 3 classes, each class a brighter band, plus noise) and a model
 * with a Dropout whose input has an odd size, so shards starting at odd examples test the masks.
 * 110 training images by default: an epoch of 2 ranks takes a millisecond or two.
 */
export function writeShardDataset(dir: string, overrides: Record<string, unknown> = {}, trainCount = 110): string {
  mkdirSync(dir, { recursive: true });
  let s = 7;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24);
  const make = (n: number) => {
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 3);
    const images = new Uint8Array(n * 64);
    for (let i = 0; i < n; i++) for (let p = 0; p < 64; p++) images[i * 64 + p] = (Math.floor(p / 8) % 3 === labels[i] ? 120 : 0) + (rand() >> 1);
    return { images, labels };
  };
  const train = make(trainCount);
  const testSet = make(30);
  writeFileSync(join(dir, 'train-images'), encodeIdx([trainCount, 8, 8], train.images));
  writeFileSync(join(dir, 'train-labels'), encodeIdx([trainCount], train.labels));
  writeFileSync(join(dir, 'test-images'), encodeIdx([30, 8, 8], testSet.images));
  writeFileSync(join(dir, 'test-labels'), encodeIdx([30], testSet.labels));
  const config = {
    name: 'shards',
    input_shape: [8, 8, 1],
    layers: [
      { type: 'Conv2D', filters: 3, kernel_size: 3, activation: 'relu' },
      { type: 'MaxPooling2D', pool_size: 2 },
      { type: 'Flatten' },
      { type: 'Dense', units: 5, activation: 'relu' },
      { type: 'Dropout', rate: 0.3 },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
    dataset: { train_images: 'train-images', train_labels: 'train-labels', test_images: 'test-images', test_labels: 'test-labels', classes: 3 },
    loss: 'sparse_categorical_crossentropy',
    optimizer: 'adam',
    metrics: ['accuracy'],
    epochs: 2,
    batch_size: 10,
    validation_split: 0.2,
    shuffle: true,
    seed: 5,
    preprocessing: { rescale: 1 / 255 },
    ...overrides,
  };
  const path = join(dir, 'shards.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The --json lines of a run (whole lines only: output still arriving may end mid-line). */
export function jsonEvents(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
