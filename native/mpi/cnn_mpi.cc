// libcnn_mpi.so: the MPI calls of data-parallel training behind a small C interface (cnn_mpi_abi.h
// says why it is a separate library). Built only when CMake finds MPI.
#include "mpi/cnn_mpi_abi.h"

#include <malloc.h>
#include <mpi.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

bool g_initialized = false;
std::vector<std::string> g_hosts;

int fail(char* err, size_t errlen, int code, const std::string& what) {
  if (err && errlen) std::snprintf(err, errlen, "%s", what.c_str());
  return code;
}

std::string mpi_message(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(rc);
  return std::string(text, size_t(len));
}

}  // namespace

extern "C" {

int cnn_mpi_abi_version(void) { return CNN_MPI_ABI_VERSION; }

int cnn_mpi_library_version(char* out, size_t len) {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int n = 0;
  if (MPI_Get_library_version(text, &n) != MPI_SUCCESS) return CNN_MPI_FAILED;
  std::string s(text, size_t(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  std::snprintf(out, len, "%s", s.c_str());
  return 0;
}

int cnn_mpi_init(int* rank, int* size, char* err, size_t errlen) {
  if (!g_initialized) {
#ifdef M_MMAP_THRESHOLD
    // Open MPI's allreduce allocates and frees a temporary buffer as large as the message on every
    // call. The addon fixes glibc's mmap threshold at 128 KiB (native/addon/addon.cc, so that freed
    // network buffers go back to the system), which made each of those buffers a fresh mmap: page
    // faults on every byte and a TLB flush on every step (perf: 45% of a rank's time; the 373 KB sum of
    // fashion-mnist.json's gradients took 1.3 ms instead of 0.1 ms). A training process under MPI
    // builds one network and keeps it, so here large blocks come from the heap and stay there.
    mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
#endif
    int provided = 0;
    int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) return fail(err, errlen, CNN_MPI_FAILED, "MPI_Init_thread failed: " + mpi_message(rc));
    g_initialized = true;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (provided < MPI_THREAD_SERIALIZED)
      return fail(err, errlen, CNN_MPI_FAILED,
                  "this MPI library provides thread level " + std::to_string(provided) +
                      ", below MPI_THREAD_SERIALIZED, which cnn needs (training runs on a worker thread)");
    char name[MPI_MAX_PROCESSOR_NAME] = {0};
    int len = 0;
    MPI_Get_processor_name(name, &len);
    int n = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    std::vector<char> all(size_t(n) * MPI_MAX_PROCESSOR_NAME, 0);
    rc = MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                       MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return fail(err, errlen, CNN_MPI_FAILED, "cannot gather the ranks' host names: " + mpi_message(rc));
    g_hosts.clear();
    for (int r = 0; r < n; ++r) g_hosts.emplace_back(all.data() + size_t(r) * MPI_MAX_PROCESSOR_NAME);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return 0;
}

int cnn_mpi_host(int rank, char* out, size_t len) {
  if (rank < 0 || size_t(rank) >= g_hosts.size()) return CNN_MPI_FAILED;
  std::snprintf(out, len, "%s", g_hosts[size_t(rank)].c_str());
  return 0;
}

int cnn_mpi_sum(void* buf, size_t count, int type, double timeout_s, char* err, size_t errlen) {
  if (!g_initialized) return fail(err, errlen, CNN_MPI_FAILED, "MPI is not initialized");
  MPI_Datatype dt = type == CNN_MPI_DOUBLE ? MPI_DOUBLE : MPI_FLOAT;
  size_t elem = type == CNN_MPI_DOUBLE ? sizeof(double) : sizeof(float);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  char* p = static_cast<char*>(buf);
  // MPI counts are int: a larger buffer goes in pieces.
  while (count > 0) {
    int piece = int(std::min<size_t>(count, size_t(INT_MAX / 2)));
    MPI_Request req;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, p, piece, dt, MPI_SUM, MPI_COMM_WORLD, &req);
    if (rc != MPI_SUCCESS) return fail(err, errlen, CNN_MPI_FAILED, "MPI_Iallreduce failed: " + mpi_message(rc));
    for (unsigned spins = 0;; ++spins) {
      int done = 0;
      rc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
      if (rc != MPI_SUCCESS) return fail(err, errlen, CNN_MPI_FAILED, "the sum over the ranks failed: " + mpi_message(rc));
      if (done) break;
      // Give the core away while waiting: on a machine with more ranks than cores, a spinning rank
      // would slow down the very rank it waits for.
      if (spins > 64) sched_yield();
      if (spins % 256 == 0 && std::chrono::steady_clock::now() > deadline)
        return fail(err, errlen, CNN_MPI_TIMEOUT, "timeout");
    }
    p += size_t(piece) * elem;
    count -= size_t(piece);
  }
  return 0;
}

void cnn_mpi_abort(int code) {
  if (g_initialized) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

int cnn_mpi_finalize(void) {
  if (!g_initialized) return 0;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
  return 0;
}

}  // extern "C"
