/** The MPI functions of the addon (native/addon/mpi_bridge.cc); they load libcnn_mpi.so on first use. */
export interface MpiAddon {
  /** MPI_Get_library_version, without MPI_Init. */
  mpiVersion(libPath: string): string;
  mpiInit(libPath: string): { rank: number; size: number; hosts: string[] };
  /** In place sum over all ranks; CnnError ERR_DISTRIBUTED on failure or after timeoutSeconds. */
  mpiSum(values: Float64Array, timeoutSeconds: number): void;
  mpiAbort(code: number): void;
  mpiFinalize(): void;
}
