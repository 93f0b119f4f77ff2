// Sizes computed from user numbers never overflow: convolution and pooling geometry, shapes and
// parameter sizes are checked in 64 bits and refused with a cnn::Error (naming the layer), and running
// out of memory names the layer being allocated. Each case here was undefined behaviour (a wrapped int,
// then out-of-bounds reads) or a bare std::bad_alloc before.
#include <climits>
#include <string>
#include <vector>

#include "core/checked.h"
#include "core/error.h"
#include "core/network.h"
#include "kernels/kernels.h"
#include "tests/harness.h"

using namespace cnn;
using namespace cnn_test;

namespace {

// Runs fn and returns the cnn::Error it threw ("" code when it returned or threw something else).
template <typename Fn>
Error caught(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  } catch (...) {
    return Error("", "threw something other than cnn::Error");
  }
  return Error("", "did not throw");
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

LayerSpec conv_layer(int k, int dilation, int stride, bool same) {
  LayerSpec l;
  l.type = "Conv2D";
  l.name = "conv2d";
  l.filters = 2;
  l.kernel_size[0] = l.kernel_size[1] = k;
  l.dilation_rate[0] = l.dilation_rate[1] = dilation;
  l.strides[0] = l.strides[1] = stride;
  l.padding_same = same;
  return l;
}

NetworkSpec classifier(std::vector<int> input, std::vector<LayerSpec> body) {
  NetworkSpec s;
  s.input_shape = std::move(input);
  LayerSpec flat;
  flat.type = "Flatten";
  flat.name = "flatten";
  LayerSpec dense;
  dense.type = "Dense";
  dense.name = "dense";
  dense.units = 2;
  dense.activation = "softmax";
  s.layers = std::move(body);
  s.layers.push_back(flat);
  s.layers.push_back(dense);
  return s;
}

}  // namespace

// The config of the report: kernel 3, dilation 2147483647, "same". (3-1)*d+1 wrapped to a negative
// extent; im2col then read far outside the image (SIGSEGV in training).
TEST(geometry_conv_huge_dilation_is_refused_not_wrapped) {
  Error e = caught([] { kernels::make_conv_geometry(1, 28, 28, 1, 3, 3, 1, 1, INT_MAX, INT_MAX, true); });
  EXPECT_EQ(e.code(), std::string(kErrInvalidArgument));
  EXPECT_TRUE(contains(e.what(), "4294967295"));  // the extent, computed without wrapping
  Error v = caught([] { kernels::make_conv_geometry(1, 28, 28, 1, 3, 3, 1, 1, INT_MAX, INT_MAX, false); });
  EXPECT_EQ(v.code(), std::string(kErrInvalidArgument));
}

TEST(geometry_conv_network_with_huge_dilation_names_the_layer) {
  Error e = caught([] { Network net(classifier({28, 28, 1}, {conv_layer(3, INT_MAX, 1, true)})); });
  EXPECT_EQ(e.code(), std::string(kErrInvalidArgument));
  EXPECT_TRUE(contains(e.what(), "conv2d: "));
}

// Windows whose farthest index passes int32: stride 2^31-1 with "same" is fine (one window), a large
// kernel extent plus the input is not.
TEST(geometry_conv_largest_index_must_fit_int32) {
  auto g = kernels::make_conv_geometry(1, 28, 28, 1, 1, 1, INT_MAX, INT_MAX, 1, 1, true);
  EXPECT_EQ(g.out_h, 1);
  EXPECT_EQ(g.out_w, 1);
  // extent 2^31-1 fits, but windows at 0..27 reach 27 + 2^31-1.
  Error e = caught([] { kernels::make_conv_geometry(1, 28, 28, 1, 2, 2, 1, 1, INT_MAX - 1, INT_MAX - 1, true); });
  EXPECT_EQ(e.code(), std::string(kErrInvalidArgument));
  // The kernel patch kh*kw*c feeds the GEMM's int K.
  Error p = caught([] { kernels::make_conv_geometry(1, 1, 1, 65536, 256, 256, 1, 1, 1, 1, true); });
  EXPECT_EQ(p.code(), std::string(kErrInvalidArgument));
}

// pool 2^31-1 with stride 1 and "same": ys + pool_h overflowed int in the window loops.
TEST(geometry_pool_huge_window_is_refused_not_wrapped) {
  Error e = caught([] { kernels::make_pool_geometry(1, 28, 28, 1, INT_MAX, INT_MAX, 1, 1, true); });
  EXPECT_EQ(e.code(), std::string(kErrInvalidArgument));
  auto g = kernels::make_pool_geometry(1, 28, 28, 1, INT_MAX, INT_MAX, INT_MAX, INT_MAX, true);
  EXPECT_EQ(g.out_h, 1);
  // argmax is an int32 index within one example.
  Error big = caught([] { kernels::make_pool_geometry(1, 65536, 65536, 1, 2, 2, 2, 2, false); });
  EXPECT_EQ(big.code(), std::string(kErrInvalidArgument));
}

// A Flatten of 65536 x 65536 wrapped its int output size to 0 (then "output shape is empty", or worse).
TEST(geometry_shape_sizes_past_int32_are_refused) {
  Error e = caught([] { Network net(classifier({65536, 65536, 1}, {})); });
  EXPECT_EQ(e.code(), std::string(kErrInvalidArgument));
  EXPECT_TRUE(contains(e.what(), "65536"));
  Error c = caught([] { (void)checked_mul(INT_MAX, INT_MAX, kMaxInt32, "product"); });
  EXPECT_TRUE(contains(c.what(), "product (2147483647 x 2147483647) exceeds 2147483647"));
  EXPECT_EQ(checked_mul(46340, 46340, kMaxInt32, "ok"), int64_t(46340) * 46340);
}

// ASan aborts on allocations past its maximum instead of throwing: GCC defines __SANITIZE_ADDRESS__,
// clang reports it through __has_feature.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CNN_TEST_ASAN 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(CNN_TEST_ASAN)
// A Dense kernel of 100000 x 2147483647 floats cannot be allocated: the error names the layer and the
// parameter, with the code the CLI reports, instead of a bare std::bad_alloc.
TEST(geometry_out_of_memory_names_the_layer) {
  NetworkSpec s;
  s.input_shape = {100000};
  LayerSpec dense;
  dense.type = "Dense";
  dense.name = "huge_dense";
  dense.units = INT_MAX;
  dense.activation = "softmax";
  dense.kernel_initializer.kind = "zeros";
  s.layers = {dense};
  Error e = caught([&] { Network net(s); });
  EXPECT_EQ(e.code(), std::string(kErrOutOfMemory));
  EXPECT_TRUE(contains(e.what(), "huge_dense"));
  EXPECT_TRUE(contains(e.what(), "kernel"));
}

// The activation buffers of a batch: 65536 examples of 46341 x 46340 values each cannot be allocated.
// (Dropout then global pooling: the parameters stay tiny, only the batch buffers are huge.)
TEST(geometry_out_of_memory_in_batch_buffers_names_the_layer) {
  NetworkSpec s;
  s.input_shape = {46341, 46340, 1};
  LayerSpec drop, gap, dense;
  drop.type = "Dropout";
  drop.name = "big_dropout";
  gap.type = "GlobalAveragePooling2D";
  gap.name = "gap";
  dense.type = "Dense";
  dense.name = "dense";
  dense.units = 2;
  dense.activation = "softmax";
  s.layers = {drop, gap, dense};
  Network net(s);
  std::vector<int32_t> labels(65536, 0);
  float x = 0;  // never read: the buffers are sized (and fail) before the input is touched
  Error e = caught([&] { net.train_batch(&x, labels.data(), 65536); });
  EXPECT_EQ(e.code(), std::string(kErrOutOfMemory));
  EXPECT_TRUE(contains(e.what(), "big_dropout"));
}
#endif
