// An allocator for the large per-batch buffers (activations, column matrices, gradients). Buffers of
// 2 MiB or more are 2 MiB-aligned and, on Linux, advised into transparent huge pages: the first touch
// of a fresh 4 KiB page is a page fault, and the buffers of a CIFAR-sized model at batch 64 (about
// 140 MB) cost 35,000 faults, 0.55 s in a virtual machine where one costs 15 us, on every first
// training step or evaluation; in 2 MiB pages it is 70 faults (15-40 ms there). Where huge pages are
// off ("never") the advice is ignored and the buffers behave as plain ones. Buffers from 64 KiB are
// mapped directly and unmapped when freed: the batch parts' replicas (network.cc) hold many buffers of
// tens to hundreds of KiB, and from glibc's heap those fragmented it so that 200 build/train/drop cycles
// grew RSS by 190 MB (test/slow/80.library-rss). Smaller buffers are 64-byte aligned (one cache line,
// any vector width).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace cnn {

constexpr std::size_t kHugePageBytes = std::size_t(2) << 20;
constexpr std::size_t kMappedBytes = std::size_t(64) << 10;
constexpr std::size_t kPageBytes = 4096;

template <class T>
struct BigBufferAllocator {
  using value_type = T;

  BigBufferAllocator() noexcept = default;
  template <class U>
  BigBufferAllocator(const BigBufferAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T) - kHugePageBytes) throw std::bad_alloc();
    std::size_t bytes = n * sizeof(T);
#ifdef __linux__
    if (bytes >= kMappedBytes && bytes < kHugePageBytes) {
      void* p = mmap(nullptr, (bytes + kPageBytes - 1) / kPageBytes * kPageBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      return static_cast<T*>(p);
    }
#endif
    if (bytes < kHugePageBytes) return static_cast<T*>(::operator new(bytes, std::align_val_t(64)));
    std::size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
    void* p = std::aligned_alloc(kHugePageBytes, rounded);
    if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);  // advice only: a refusal leaves ordinary pages
#endif
    return static_cast<T*>(p);
  }

  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
#ifdef __linux__
    if (bytes >= kMappedBytes && bytes < kHugePageBytes) {
      munmap(p, (bytes + kPageBytes - 1) / kPageBytes * kPageBytes);
      return;
    }
#endif
    if (bytes < kHugePageBytes)
      ::operator delete(p, std::align_val_t(64));
    else
      std::free(p);
  }

  template <class U>
  bool operator==(const BigBufferAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const BigBufferAllocator<U>&) const noexcept { return false; }
};

// A per-batch float buffer: a std::vector whose storage comes from BigBufferAllocator.
using FloatBuffer = std::vector<float, BigBufferAllocator<float>>;

}  // namespace cnn
