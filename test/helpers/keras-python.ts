/**
 * The real Keras 3 / TensorBoard the interoperability tests check against: a Python found through
 * $CNN_KERAS_PYTHON, else .venv-keras/bin/python in the repository, else /tmp/keras-venv/bin/python.
 * When none can import keras and tensorboard, the tests skip with the reason (never pass silently).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/version.js';

export const pythonDir = join(packageRoot, 'test', 'python');

let found: { python?: string; reason?: string } | undefined;

/** Under CNN_KERAS_REQUIRED=1 (CI, after it installed the venv) a missing Keras fails the test instead. */
export function kerasPython(): { python?: string; reason?: string } {
  const result = findKerasPython();
  if (result.reason && process.env.CNN_KERAS_REQUIRED === '1') throw new Error(`CNN_KERAS_REQUIRED=1 but ${result.reason}`);
  return result;
}

function findKerasPython(): { python?: string; reason?: string } {
  if (found) return found;
  const candidates = process.env.CNN_KERAS_PYTHON ? [process.env.CNN_KERAS_PYTHON] : [join(packageRoot, '.venv-keras', 'bin', 'python'), '/tmp/keras-venv/bin/python'];
  const python = candidates.find((p) => existsSync(p));
  if (!python) {
    found = { reason: `real Keras not installed: no Python at ${candidates.join(' or ')} (set CNN_KERAS_PYTHON to a Python with keras, tensorflow, tensorboard, h5py)` };
    return found;
  }
  const r = spawnSync(python, ['-c', 'import keras, tensorboard, h5py; print(keras.__version__)'], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  found = r.status === 0 ? { python } : { reason: `real Keras not installed: ${python} cannot import keras, tensorboard and h5py (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})` };
  return found;
}

/** Runs test/python/<script> with the Keras Python; returns its stdout's last line as JSON. */
export function runPython(script: string, args: string[], env: NodeJS.ProcessEnv = {}): unknown {
  const { python, reason } = kerasPython();
  if (!python) throw new Error(reason);
  const r = spawnSync(python, [join(pythonDir, script), ...args], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '', PYTHONHASHSEED: '0', ...env },
  });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

export function writeF32(path: string, data: Float32Array): void {
  writeFileSync(path, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
