/**
 * Whether this process was started by an MPI launcher (mpirun/mpiexec of Open MPI, srun, Hydra), read
 * from the launchers' own environment, so `mpirun -np 4 cnn train ...` needs no extra option.
 */
export interface LaunchEnvironment {
  /** The variable that told us (for messages). */
  variable: string;
  rank: number;
  /** Unknown when the launcher gives only a rank (PMIX_RANK): MPI says it at init. */
  size?: number;
}

function int(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export function launchEnvironment(env: NodeJS.ProcessEnv = process.env): LaunchEnvironment | undefined {
  const pairs: [string, string | undefined][] = [
    ['OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE'], // Open MPI's mpirun
    ['PMI_RANK', 'PMI_SIZE'], // MPICH/Hydra, srun --mpi=pmi2
    ['PMIX_RANK', undefined], // PMIx launchers (srun --mpi=pmix, prterun)
  ];
  for (const [rankVar, sizeVar] of pairs) {
    const rank = int(env[rankVar]);
    if (rank === undefined) continue;
    const size = sizeVar ? int(env[sizeVar]) : undefined;
    return { variable: rankVar, rank, ...(size !== undefined ? { size } : {}) };
  }
  // srun of several tasks without an MPI plugin (no PMI variables): MPI would start each task alone,
  // and N runs would train and write the same files. Treated as a launch, so the size check refuses it.
  const tasks = int(env.SLURM_NTASKS);
  const task = int(env.SLURM_PROCID);
  if (task !== undefined && tasks !== undefined && tasks > 1) return { variable: 'SLURM_PROCID', rank: task, size: tasks };
  return undefined;
}
