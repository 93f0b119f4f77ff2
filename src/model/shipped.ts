/**
 * `--config NAME`: a path first; otherwise the name of a config shipped in data/ (mnist.json,
 * fashion-mnist.json, also without ".json"), so `cnn summary --config mnist.json` works from any
 * folder. A file of that name in the current folder wins over the shipped one.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { packageRoot } from '../version.js';
import type { ModelConfig } from './config.js';
import { loadConfigFile } from './validate.js';

export const shippedConfigDir: string = join(packageRoot, 'data');

export const DEFAULT_CONFIG = 'mnist.json';

/** The configs in data/, e.g. ["fashion-mnist.json", "mnist.json"]. */
export function listShippedConfigs(): string[] {
  try {
    return readdirSync(shippedConfigDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The file a --config value means. */
export function resolveConfigPath(nameOrPath: string): string {
  if (isFile(nameOrPath)) return nameOrPath;
  const plainName = !/[\\/]/.test(nameOrPath);
  if (plainName) {
    for (const candidate of [nameOrPath, `${nameOrPath}.json`]) {
      const shipped = join(shippedConfigDir, candidate);
      if (isFile(shipped)) return shipped;
    }
  }
  if (existsSync(nameOrPath)) throw usageError('ERR_BAD_CONFIG', `the model config ${nameOrPath} is not a file`);
  if (!plainName) throw usageError('ERR_BAD_CONFIG', `cannot read the model config ${nameOrPath}: no such file`);
  const names = listShippedConfigs();
  throw usageError(
    'ERR_BAD_CONFIG',
    `no config file ${JSON.stringify(nameOrPath)} here, and no shipped config of that name (shipped: ${names.join(', ') || 'none'})`,
  );
}

/** Finds, reads and validates a config: `path` is the file it came from. */
export function resolveConfig(nameOrPath: string = DEFAULT_CONFIG): { path: string; config: ModelConfig } {
  const path = resolveConfigPath(nameOrPath);
  return { path, config: loadConfigFile(path) };
}
