/**
 * A dataset cache as a user has it after their first `cnn data fetch`: for the tests that need MNIST
 * or Fashion-MNIST to be there but test training, evaluation or files, not getting datasets. Each
 * such test file used to start from an empty CNN_HOME and paid for copying, un-gzipping and hashing
 * 55 MB per dataset (0.8-1.4 CPU-s) before its first command.
 *
 * The cache is filled once per machine and user, by the real `cnn data fetch` (from the on-machine
 * copies), in a folder of its own, moved into place whole; a test's CNN_HOME gets a link to each
 * dataset's folder there. cnn writes into a dataset folder only by renaming (files, stamps), so test
 * files sharing it at once are as safe as two cnn processes are. Tests that fetch, damage or
 * inspect the cache (40.data-*, 41.data-*) keep an empty home of their own and do not use this.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { cnnBin } from './cli.js';

export type WarmDataset = 'mnist' | 'fashion-mnist';

function sharedRoot(): string {
  return join(tmpdir(), `cnn-test-datasets-${userInfo().uid}`);
}

/** The shared folder of `name`, filled if need be; undefined when it cannot be fetched here (the test then gets it itself, or says why not). */
function ensureShared(name: WarmDataset): string | undefined {
  const root = sharedRoot();
  const dir = join(root, name);
  if (existsSync(join(dir, 'train-images-idx3-ubyte')) && existsSync(join(dir, 't10k-labels-idx1-ubyte'))) return dir;
  mkdirSync(root, { recursive: true });
  const staging = mkdtempSync(join(root, `.${name}-`));
  try {
    try {
      execFileSync(process.execPath, [cnnBin, 'data', 'fetch', name], { env: { ...process.env, CNN_HOME: staging }, stdio: 'pipe' });
    } catch {
      return undefined; // e.g. Fashion-MNIST without Debian's package and without a network
    }
    try {
      renameSync(join(staging, 'datasets', name), dir);
    } catch (e) {
      // Another test file filled it first: use theirs.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

/** Links the shared, verified copies of `names` into `home` (a CNN_HOME); returns `home`. */
export function warmDatasetHome(home: string, names: readonly WarmDataset[] = ['mnist', 'fashion-mnist']): string {
  mkdirSync(join(home, 'datasets'), { recursive: true });
  for (const name of names) {
    const link = join(home, 'datasets', name);
    const shared = existsSync(link) ? undefined : ensureShared(name);
    if (shared) symlinkSync(shared, link, 'dir');
  }
  return home;
}
