// The addon's side of data-parallel training: loads libcnn_mpi.so on request (dlopen, see
// native/mpi/cnn_mpi_abi.h) and offers the core a StepSync that sums over the MPI ranks.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/network.h"

namespace cnn_addon {

// The StepSync of one training job. Its double sums carry one more value, this process's stop flag
// (cancel[0], set by Ctrl-C/SIGTERM): after each step every rank knows whether any rank asked to
// stop, so all of them stop after the same batch.
class MpiStepSync : public cnn::StepSync {
 public:
  MpiStepSync(const int32_t* cancel, double timeout_s) : cancel_(cancel), timeout_s_(timeout_s) {}
  void sum(double* values, size_t count) override;
  void sum(float* const* buffers, const size_t* sizes, size_t count) override;
  bool stop_agreed() const { return stop_; }
  double seconds() const { return seconds_; }  // spent in the sums (for cnn bench train --distributed)

 private:
  const int32_t* cancel_;
  double timeout_s_;
  bool stop_ = false;
  double seconds_ = 0;
  std::vector<double> doubles_;
  std::vector<float> packed_;
};

// Whether MPI was initialized in this process (cnn_mpi_init succeeded); this process's rank and the
// number of ranks.
bool mpi_ready();
int mpi_rank();
int mpi_size();

}  // namespace cnn_addon
