// BigBufferAllocator: large buffers are 2 MiB-aligned (so that whole huge pages back them), small
// ones one cache line aligned; a resized buffer reads as zeros, as a std::vector<float> does; and the
// advice is only advice: the memory works where transparent huge pages are off.
#include <cstdint>

#include "core/big_buffer.h"
#include "tests/harness.h"

using namespace cnn;

namespace {

bool aligned_to(const void* p, uintptr_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

TEST(big_buffer_large_is_huge_page_aligned_and_zeroed) {
  FloatBuffer b;
  b.resize((size_t(5) << 20) / sizeof(float) + 3);  // 5 MiB and a bit: rounded up to 6 MiB of pages
  EXPECT_TRUE(aligned_to(b.data(), kHugePageBytes));
  bool zero = true;
  for (float v : b) zero = zero && v == 0.0f;
  EXPECT_TRUE(zero);
  b.back() = 7.0f;
  b.resize(b.size() * 2);  // grows into a new allocation, keeping the contents
  EXPECT_TRUE(aligned_to(b.data(), kHugePageBytes));
  EXPECT_EQ(b[(size_t(5) << 20) / sizeof(float) + 2], 7.0f);
}

TEST(big_buffer_small_is_cache_line_aligned) {
  for (size_t n : {size_t(1), size_t(17), size_t(1000), (kHugePageBytes / sizeof(float)) - 1}) {
    FloatBuffer b(n, 1.0f);
    EXPECT_TRUE(aligned_to(b.data(), 64));
    EXPECT_EQ(b[n - 1], 1.0f);
  }
}

TEST(big_buffer_refuses_a_size_that_would_wrap) {
  BigBufferAllocator<float> a;
  EXPECT_THROWS(a.allocate(size_t(-1) / sizeof(float)));
}

}  // namespace
