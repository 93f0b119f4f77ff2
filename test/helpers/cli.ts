/** Runs the real `cnn` executable (bin/cnn.js) as a child process, as a user would. */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/version.js';

export const cnnBin = join(packageRoot, 'bin', 'cnn.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: SpawnSyncOptions & { env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [cnnBin, ...args], {
    encoding: 'utf8',
    timeout: 600_000,
    ...options,
    env: { ...process.env, ...options.env },
  });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
