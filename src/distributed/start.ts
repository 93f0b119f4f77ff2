/**
 * Starting a data-parallel run: decides whether this process is one rank of an MPI job (the
 * launcher's environment, or --distributed), loads libcnn_mpi.so beside the addon (never otherwise:
 * a single-process run loads no MPI at all), initializes MPI once and finalizes it at exit.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { CnnError, usageError } from '../errors.js';
import { loadedAddonPath, loadNative, shellQuote } from '../native.js';
import { packageRoot } from '../version.js';
import { Collective } from './collective.js';
import { launchEnvironment } from './detect.js';
import type { MpiAddon } from './mpi-addon.js';

export const MPI_LIBRARY = 'libcnn_mpi.so';
const DEFAULT_TIMEOUT_S = 30;

function mpiAddon(): MpiAddon {
  return loadNative() as unknown as MpiAddon;
}

/** Where libcnn_mpi.so is (beside the loaded addon), or undefined when this build has none. */
export function mpiLibraryPath(): string | undefined {
  loadNative();
  const addon = loadedAddonPath();
  const path = addon ? join(dirname(addon), MPI_LIBRARY) : undefined;
  return path && existsSync(path) ? path : undefined;
}

export interface MpiSupport {
  built: boolean;
  /** MPI_Get_library_version's first line, when built and loadable. */
  library?: string;
  /** Why it cannot be used, when not. */
  problem?: string;
}

/** For `cnn info`: whether this build has MPI support, and which MPI. */
export function mpiSupport(): MpiSupport {
  const path = mpiLibraryPath();
  if (!path) return { built: false, problem: notBuilt() };
  try {
    return { built: true, library: mpiAddon().mpiVersion(path).split('\n')[0].trim() };
  } catch (e) {
    return { built: true, problem: (e as Error).message };
  }
}

function notBuilt(): string {
  return (
    `this cnn was built without MPI support (no ${MPI_LIBRARY} beside the addon): install Open MPI ` +
    `(apt-get install openmpi-bin libopenmpi-dev), then rebuild: cd ${shellQuote(packageRoot)} && npm run build ` +
    '(the node-gyp build never includes MPI)'
  );
}

function timeoutFromEnv(): number {
  const raw = process.env.CNN_MPI_TIMEOUT;
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_S;
  const t = Number(raw);
  if (!Number.isFinite(t) || t <= 0) throw usageError('ERR_BAD_OPTION', `CNN_MPI_TIMEOUT must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  return t;
}

let started: Collective | undefined;

/**
 * Ranks on the same host share its cores: without CNN_THREADS (and before any --threads), each takes
 * cores / ranks-on-this-host threads, not one per core each (which would oversubscribe the host).
 */
function shareCores(hosts: string[], rank: number): void {
  if (process.env.CNN_THREADS !== undefined) return;
  const here = hosts.filter((h) => h === hosts[rank]).length;
  if (here <= 1) return;
  loadNative().setThreads(Math.max(1, Math.floor(availableParallelism() / here)), 'the threads per rank');
}

/**
 * The run's Collective when this process is an MPI rank (or `asked`), else undefined. Once per
 * process; MPI_Finalize runs at exit.
 */
export function startDistributed(asked: boolean): Collective | undefined {
  if (started) return started;
  const launched = launchEnvironment();
  if (!asked && !launched) return undefined;
  const timeout = timeoutFromEnv();
  const path = mpiLibraryPath();
  if (!path) throw usageError('ERR_NO_MPI', `${asked ? '--distributed' : `${launched!.variable} is set (an MPI launcher started this process), but`}: ${notBuilt()}`);
  const addon = mpiAddon();
  let world: { rank: number; size: number; hosts: string[] };
  try {
    world = addon.mpiInit(path);
  } catch (e) {
    throw new CnnError('ERR_NO_MPI', `cannot start MPI: ${(e as Error).message}`);
  }
  if (launched?.size !== undefined && launched.size !== world.size) {
    const hint = launched.variable === 'SLURM_PROCID' ? ' (start it with srun --mpi=pmix, or pmi2)' : '';
    throw new CnnError(
      'ERR_NO_MPI',
      `the launcher started ${launched.size} processes but MPI sees ${world.size}: they would train alone, each writing the same files${hint}; ` +
        'is this cnn built against the MPI of the launcher?',
    );
  }
  started = new Collective(addon, world.rank, world.size, world.hosts, timeout);
  shareCores(world.hosts, world.rank);
  process.on('exit', () => addon.mpiFinalize());
  return started;
}
