// The plain C interface of libcnn_mpi.so, the only cnn code that links libmpi.
//
// Why a separate library: the addon (cnn.node) must load and run where no MPI is installed, and a
// single-process run must not load libmpi at all. So cnn.node never links MPI; when a run is
// distributed (MPI's launcher environment, or --distributed) it dlopen()s libcnn_mpi.so from its own
// folder with RTLD_GLOBAL (Open MPI's plugins resolve libmpi's symbols globally) and calls these
// functions through pointers (native/addon/mpi_bridge.cc). The interface is C so that the two sides
// share no C++ ABI, only this header; cnn_mpi_abi_version() guards against a stale library.
//
// Every function returns 0 on success; on failure it writes a message into err (errlen bytes,
// NUL-terminated) and returns CNN_MPI_FAILED, or CNN_MPI_TIMEOUT when a deadline passed.
#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CNN_MPI_ABI_VERSION 1
#define CNN_MPI_FAILED 1
#define CNN_MPI_TIMEOUT 2

enum cnn_mpi_type { CNN_MPI_FLOAT = 0, CNN_MPI_DOUBLE = 1 };

int cnn_mpi_abi_version(void);
// MPI_Get_library_version (callable before init): "Open MPI v4.1.4, package: ...".
int cnn_mpi_library_version(char* out, size_t len);
// MPI_Init_thread(MPI_THREAD_SERIALIZED) once per process (training sums run on a libuv worker
// thread, never two at once); refuses a lower provided level. Errors return (MPI_ERRORS_RETURN).
// Fills rank, size and this process's host name (MPI_Get_processor_name), gathered from every rank.
int cnn_mpi_init(int* rank, int* size, char* err, size_t errlen);
// The host name of `rank` (after init).
int cnn_mpi_host(int rank, char* out, size_t len);
// In place sum over all ranks of `count` elements (MPI_Iallreduce, polled until done or until
// timeout_s seconds passed: MPI has no deadline of its own, and a dead peer must not hang a rank).
int cnn_mpi_sum(void* buf, size_t count, int type, double timeout_s, char* err, size_t errlen);
// MPI_Abort(MPI_COMM_WORLD, code): ends every rank of the job. Does not return.
void cnn_mpi_abort(int code);
int cnn_mpi_finalize(void);

#ifdef __cplusplus
}
#endif
