// Augmentation and preprocessing layers: flips, translations, rotations and zooms pixel for pixel
// against augment_reference.h for every fill mode and both interpolations, Resizing against
// tf.image.resize's formula, every backward against finite differences of the references, and the
// random layers' determinism (same iteration, same draw, whatever the thread count; identity at inference).
#include <cstring>

#include "core/layers/augment.h"
#include "core/layers/layer.h"
#include "core/layers/preprocessing.h"
#include "core/network.h"
#include "core/thread_pool.h"
#include "tests/augment_reference.h"
#include "tests/harness.h"
#include "tests/layer_reference.h"

using namespace cnn;
using namespace cnn_test;

namespace {

const char* const kModes[] = {"reflect", "wrap", "constant", "nearest"};

LayerSpec spec_of(const std::string& type, std::vector<int> input) {
  LayerSpec s;
  s.type = type;
  s.name = type;
  s.input_shape = std::move(input);
  return s;
}

std::unique_ptr<Layer> build(const LayerSpec& s) {
  InitContext init{5, 0};
  return make_layer(s, 3, init);
}

RandomImageLayer& random_layer(Layer& l) { return dynamic_cast<RandomImageLayer&>(l); }

// Runs `layer` (a geometric random layer) on x for the given per-example transforms.
std::vector<float> apply_given(Layer& layer, const std::vector<float>& x, int n, const std::vector<float>& params) {
  RandomImageLayer& r = random_layer(layer);
  layer.reserve(n);
  r.sampled().assign(params.begin(), params.end());
  std::vector<float> y(layer.out_size() * n);
  r.apply(x.data(), y.data(), n);
  return y;
}

// Every example of x through ref_affine with its own transform.
Vec ref_affine_batch(const Vec& x, int n, int h, int w, int c, const std::vector<float>& t, const std::string& mode,
                     bool bilinear, double fill) {
  Vec out;
  size_t size = size_t(h) * w * c;
  for (int e = 0; e < n; ++e) {
    Vec img(x.begin() + e * size, x.begin() + (e + 1) * size);
    Vec o = ref_affine(img, h, w, c, t.data() + e * 8, mode, bilinear, fill);
    out.insert(out.end(), o.begin(), o.end());
  }
  return out;
}

}  // namespace

TEST(augment_flip_pixels_and_gradient) {
  const int h = 3, w = 4, c = 2, n = 6;
  for (std::string mode : {"horizontal", "vertical", "horizontal_and_vertical"}) {
    LayerSpec s = spec_of("RandomFlip", {h, w, c});
    s.pre.mode = mode;
    auto layer = build(s);
    std::vector<float> x = random_floats(size_t(h) * w * c * n, 2);
    std::vector<float> flags = {1, 0, 1, 1, 0, 0};
    std::vector<float> y = apply_given(*layer, x, n, flags);
    for (int e = 0; e < n; ++e)
      for (int r = 0; r < h; ++r)
        for (int col = 0; col < w; ++col)
          for (int ch = 0; ch < c; ++ch) {
            bool f = flags[size_t(e)] != 0;
            int sr = f && mode != "horizontal" ? h - 1 - r : r, sc = f && mode != "vertical" ? w - 1 - col : col;
            float want = x[((size_t(e) * h + sr) * w + sc) * c + ch];
            EXPECT_EQ(y[((size_t(e) * h + r) * w + col) * c + ch], want);
          }
    // The layer's own draws, then the gradient of the same flips.
    check_layer_gradients(*layer, x, n, [&](const Vec& xd, const std::vector<Vec>&) {
      Vec out(xd.size());
      const auto& p = random_layer(*layer).sampled();
      for (int e = 0; e < n; ++e)
        for (int r = 0; r < h; ++r)
          for (int col = 0; col < w; ++col)
            for (int ch = 0; ch < c; ++ch) {
              bool f = p[size_t(e)] != 0;
              int sr = f && mode != "horizontal" ? h - 1 - r : r, sc = f && mode != "vertical" ? w - 1 - col : col;
              out[((size_t(e) * h + r) * w + col) * c + ch] = xd[((size_t(e) * h + sr) * w + sc) * c + ch];
            }
      return out;
    }, "flip " + mode);
  }
}

TEST(augment_integer_translations_are_exact_shifts_in_every_fill_mode) {
  const int h = 5, w = 6, c = 2;
  // Shifts of up to len - 2 pixels, where every fill mode has its plain meaning.
  const int shifts[][2] = {{1, 2}, {-2, 1}, {3, -3}, {0, -1}, {-4, 3}};
  const int n = 5;
  std::vector<float> x = random_floats(size_t(h) * w * c * n, 4);
  std::vector<float> t;
  for (auto& sh : shifts) {
    float m[8];
    translation_matrix(float(sh[0]), float(sh[1]), m);
    t.insert(t.end(), m, m + 8);
  }
  for (const char* mode : kModes)
    for (const char* interp : {"bilinear", "nearest"}) {
      LayerSpec s = spec_of("RandomTranslation", {h, w, c});
      s.pre.fill_mode = mode;
      s.pre.interpolation = interp;
      s.pre.fill_value = 0.25;
      auto layer = build(s);
      std::vector<float> y = apply_given(*layer, x, n, t);
      for (int e = 0; e < n; ++e)
        for (int r = 0; r < h; ++r)
          for (int col = 0; col < w; ++col)
            for (int ch = 0; ch < c; ++ch) {
              long sr = ref_extend(r - shifts[e][1], h, mode), sc = ref_extend(col - shifts[e][0], w, mode);
              float want = sr < 0 || sc < 0 ? 0.25f : x[((size_t(e) * h + sr) * w + sc) * c + ch];
              EXPECT_EQ(y[((size_t(e) * h + r) * w + col) * c + ch], want);
            }
    }
}

TEST(augment_sampled_transforms_match_the_reference_and_pass_gradients) {
  const int h = 5, w = 7, c = 2, n = 4;
  struct Case {
    const char* type;
    double hf[2], wf[2], f[2];
  } cases[] = {
      {"RandomTranslation", {-0.3, 0.3}, {-0.4, 0.2}, {0, 0}},
      {"RandomRotation", {0, 0}, {0, 0}, {-0.3, 0.3}},
      {"RandomZoom", {-0.4, 0.5}, {-0.3, 0.6}, {0, 0}},
  };
  for (const Case& k : cases)
    for (const char* mode : kModes)
      for (bool bilinear : {true, false}) {
        // Wrap differs from a periodic image near its seam (TensorFlow wraps with period len - 1 there),
        // so its fractional points are checked against real Keras in test/peers instead.
        if (std::string(mode) == "wrap") continue;
        LayerSpec s = spec_of(k.type, {h, w, c});
        s.pre.fill_mode = mode;
        s.pre.interpolation = bilinear ? "bilinear" : "nearest";
        s.pre.fill_value = -0.5;
        std::memcpy(s.pre.height_factor, k.hf, sizeof k.hf);
        std::memcpy(s.pre.width_factor, k.wf, sizeof k.wf);
        std::memcpy(s.pre.factor, k.f, sizeof k.f);
        auto layer = build(s);
        std::string what = std::string(k.type) + " " + mode + (bilinear ? " bilinear" : " nearest");
        // Nearest sampling is piecewise constant in the transform but linear in x: the same FD check holds.
        check_layer_gradients(*layer, random_floats(size_t(h) * w * c * n, 6), n, [&](const Vec& xd, const std::vector<Vec>&) {
          const auto& drawn = random_layer(*layer).sampled();
          return ref_affine_batch(xd, n, h, w, c, std::vector<float>(drawn.begin(), drawn.end()), mode, bilinear, -0.5);
        }, what);
        // The draws lie in Keras's ranges.
        const auto& p = random_layer(*layer).sampled();
        for (int e = 0; e < n; ++e) {
          const float* m = p.data() + e * 8;
          if (std::string(k.type) == "RandomTranslation") {
            EXPECT_TRUE(-m[5] >= -0.3f * h - 1e-5f && -m[5] <= 0.3f * h + 1e-5f);
            EXPECT_TRUE(-m[2] >= -0.4f * w - 1e-5f && -m[2] <= 0.2f * w + 1e-5f);
          } else if (std::string(k.type) == "RandomZoom") {
            EXPECT_TRUE(m[4] >= 0.6f - 1e-6f && m[4] <= 1.5f + 1e-6f);
            EXPECT_TRUE(m[0] >= 0.7f - 1e-6f && m[0] <= 1.6f + 1e-6f);
          } else {
            EXPECT_NEAR(m[0] * m[0] + m[3] * m[3], 1.0, 1e-6);  // a rotation: cos^2 + sin^2
          }
        }
      }
}

TEST(augment_rotation_and_zoom_matrices_are_keras_ones) {
  float t[8];
  rotation_matrix(90.0f, 5, 7, t);  // about (3, 2): output (x, y) reads (3 - (y - 2), 2 + (x - 3))
  EXPECT_NEAR(t[0], 0, 1e-6);
  EXPECT_NEAR(t[1], -1, 1e-6);
  EXPECT_NEAR(t[2], 5, 1e-5);
  EXPECT_NEAR(t[3], 1, 1e-6);
  EXPECT_NEAR(t[4], 0, 1e-6);
  EXPECT_NEAR(t[5], -1, 1e-5);
  zoom_matrix(2.0f, 0.5f, 5, 7, t);  // about the centre (3, 2)
  EXPECT_NEAR(t[0], 2, 0);
  EXPECT_NEAR(t[2], -3, 1e-6);
  EXPECT_NEAR(t[4], 0.5, 0);
  EXPECT_NEAR(t[5], 1, 1e-6);
}

TEST(augment_wrap_follows_tensorflow_at_the_seam) {
  // TensorFlow's MapCoordinate for wrap (period len - 1 beyond the border, then clamped): -0.5 in a
  // length-4 axis maps to 3.5, clamped to 3; 3.5 maps to -0.5, clamped to 0; -1 maps to 3.
  EXPECT_NEAR(map_coordinate(-0.5f, 4, FillMode::kWrap), 3.0, 0);
  EXPECT_NEAR(map_coordinate(3.5f, 4, FillMode::kWrap), 0.0, 0);
  EXPECT_NEAR(map_coordinate(-1.0f, 4, FillMode::kWrap), 3.0, 0);
  EXPECT_NEAR(map_coordinate(-1.25f, 4, FillMode::kReflect), 0.25, 1e-6);
  EXPECT_NEAR(map_coordinate(4.5f, 4, FillMode::kReflect), 2.5, 1e-6);
  EXPECT_NEAR(map_coordinate(-7.0f, 4, FillMode::kNearest), 0.0, 0);
  EXPECT_NEAR(map_coordinate(-7.0f, 4, FillMode::kConstant), -7.0, 0);
  EXPECT_TRUE(std::isnan(map_coordinate(std::nanf(""), 4, FillMode::kReflect)));
}

TEST(augment_contrast_and_brightness_clip_and_pass_gradients) {
  const int h = 3, w = 4, c = 2, n = 3;
  for (std::string type : {"RandomContrast", "RandomBrightness"})
    for (double top : {10.0, 0.6}) {  // 0.6: some outputs are clipped
      LayerSpec s = spec_of(type, {h, w, c});
      s.pre.factor[0] = type == "RandomContrast" ? 0.3 : -0.2;
      s.pre.factor[1] = 0.5;
      s.pre.value_range[0] = -1;
      s.pre.value_range[1] = top;
      auto layer = build(s);
      check_layer_gradients(*layer, random_floats(size_t(h) * w * c * n, 8), n, [&](const Vec& xd, const std::vector<Vec>&) {
        const auto& p = random_layer(*layer).sampled();
        Vec out(xd.size());
        size_t pixels = size_t(h) * w;
        for (int e = 0; e < n; ++e)
          for (int ch = 0; ch < c; ++ch) {
            double mean = 0;
            for (size_t q = 0; q < pixels; ++q) mean += xd[(e * pixels + q) * c + ch] / double(pixels);
            for (size_t q = 0; q < pixels; ++q) {
              size_t i = (e * pixels + q) * c + ch;
              double v = type == "RandomContrast" ? (xd[i] - mean) * p[size_t(e)] + mean : xd[i] + p[size_t(e)];
              out[i] = std::min(std::max(v, -1.0), top);
            }
          }
        return out;
      }, type + " up to " + std::to_string(top));
      const auto& p = random_layer(*layer).sampled();
      for (int e = 0; e < n; ++e) {
        if (type == "RandomContrast") EXPECT_TRUE(p[size_t(e)] >= 0.7f && p[size_t(e)] <= 1.5f);
        else EXPECT_TRUE(p[size_t(e)] >= -0.2f * float(top + 1) - 1e-5f && p[size_t(e)] <= 0.5f * float(top + 1) + 1e-5f);
      }
    }
}

TEST(augment_random_layers_are_identity_at_inference_and_reproducible) {
  const int h = 6, w = 5, c = 3, n = 9;
  std::vector<float> x = random_floats(size_t(h) * w * c * n, 10);
  for (std::string type : {"RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom", "RandomContrast", "RandomBrightness"}) {
    LayerSpec s = spec_of(type, {h, w, c});
    s.pre.height_factor[0] = s.pre.width_factor[0] = s.pre.factor[0] = -0.2;
    s.pre.height_factor[1] = s.pre.width_factor[1] = s.pre.factor[1] = 0.2;
    if (type == "RandomContrast") s.pre.factor[0] = 0;  // Keras's [lower, upper]: factor in [1 - lower, 1 + upper]
    s.pre.value_range[0] = -1;
    s.pre.value_range[1] = 1;
    auto layer = build(s);
    layer->reserve(n);
    std::vector<float> y(x.size()), a(x.size()), b(x.size()), other(x.size());
    layer->forward(x.data(), y.data(), n, RunContext{false, 7});
    EXPECT_TRUE(y == x);
    ThreadPool::set_global_threads(1);
    layer->forward(x.data(), a.data(), n, RunContext{true, 7});
    ThreadPool::set_global_threads(3);
    layer->forward(x.data(), b.data(), n, RunContext{true, 7});
    EXPECT_TRUE(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    layer->forward(x.data(), other.data(), n, RunContext{true, 8});
    if (other == a) record_failure(__FILE__, __LINE__, type + ": the next iteration drew the same");
    EXPECT_TRUE(a != x);
    // The layer's own seed replaces the network's.
    s.pre.has_seed = true;
    s.pre.seed = 99;
    auto seeded = build(s);
    seeded->reserve(n);
    std::vector<float> d(x.size());
    seeded->forward(x.data(), d.data(), n, RunContext{true, 7});
    if (d == a) record_failure(__FILE__, __LINE__, type + ": its own seed drew the same as the network's");
  }
  ThreadPool::set_global_threads(ThreadPool::default_threads());
}

TEST(preprocessing_rescaling_pad_crop_reshape_forward_and_gradients) {
  const int n = 2;
  LayerSpec r = spec_of("Rescaling", {3, 2, 2});
  r.pre.scale = 0.5;
  r.pre.offset = -1;
  auto rescale = build(r);
  check_layer_gradients(*rescale, random_floats(12 * n, 1), n, [](const Vec& x, const std::vector<Vec>&) {
    Vec y(x);
    for (double& v : y) v = v * 0.5 - 1;
    return y;
  }, "rescaling");

  const int h = 3, w = 4, c = 2;
  const int pad[4] = {1, 2, 0, 3};
  for (bool crop : {false, true}) {
    LayerSpec s = spec_of(crop ? "Cropping2D" : "ZeroPadding2D", {h, w, c});
    std::memcpy(s.pre.pad, crop ? (const int[4]){1, 0, 1, 2} : pad, sizeof pad);
    auto layer = build(s);
    const int* p = s.pre.pad;
    int oh = crop ? h - p[0] - p[1] : h + p[0] + p[1], ow = crop ? w - p[2] - p[3] : w + p[2] + p[3];
    EXPECT_EQ(layer->output_shape()[0], oh);
    EXPECT_EQ(layer->output_shape()[1], ow);
    check_layer_gradients(*layer, random_floats(size_t(h) * w * c * n, 2), n, [&](const Vec& x, const std::vector<Vec>&) {
      Vec y(size_t(oh) * ow * c * n, 0.0);
      for (int e = 0; e < n; ++e)
        for (int yy = 0; yy < oh; ++yy)
          for (int xx = 0; xx < ow; ++xx)
            for (int ch = 0; ch < c; ++ch) {
              int sy = crop ? yy + p[0] : yy - p[0], sx = crop ? xx + p[2] : xx - p[2];
              if (sy >= 0 && sy < h && sx >= 0 && sx < w)
                y[((size_t(e) * oh + yy) * ow + xx) * c + ch] = x[((size_t(e) * h + sy) * w + sx) * c + ch];
            }
      return y;
    }, crop ? "cropping2d" : "zero padding2d");
  }

  LayerSpec s = spec_of("Reshape", {3, 4, 2});
  s.output_shape = {6, 4};
  auto reshape = build(s);
  check_layer_gradients(*reshape, random_floats(24 * n, 3), n, [](const Vec& x, const std::vector<Vec>&) { return x; }, "reshape");
  s.output_shape = {5, 5};
  EXPECT_THROWS(build(s));
}

TEST(preprocessing_resizing_bilinear_and_nearest) {
  const int h = 4, w = 6, c = 2, n = 2;
  for (auto [oh, ow] : {std::pair{7, 3}, std::pair{2, 9}, std::pair{4, 6}}) {
    LayerSpec s = spec_of("Resizing", {h, w, c});
    s.pre.height = oh;
    s.pre.width = ow;
    auto layer = build(s);
    size_t in = size_t(h) * w * c, out = size_t(oh) * ow * c;
    check_layer_gradients(*layer, random_floats(in * n, 4), n, [&](const Vec& x, const std::vector<Vec>&) {
      Vec y;
      for (int e = 0; e < n; ++e) {
        Vec o = ref_resize_bilinear(Vec(x.begin() + e * in, x.begin() + (e + 1) * in), h, w, c, oh, ow);
        y.insert(y.end(), o.begin(), o.end());
      }
      return y;
    }, "resize bilinear " + std::to_string(oh) + "x" + std::to_string(ow));
    // Nearest: tensorflow's floor((o + 0.5) * in / out).
    s.pre.interpolation = "nearest";
    auto nearest = build(s);
    std::vector<float> x = random_floats(in, 5), y(out);
    nearest->forward(x.data(), y.data(), 1, RunContext{});
    for (int yy = 0; yy < oh; ++yy)
      for (int xx = 0; xx < ow; ++xx) {
        int sy = std::min(h - 1, int(std::floor((yy + 0.5) * h / oh))), sx = std::min(w - 1, int(std::floor((xx + 0.5) * w / ow)));
        EXPECT_EQ(y[(size_t(yy) * ow + xx) * c], x[(size_t(sy) * w + sx) * c]);
      }
  }
  // 2x2 -> 4x4, the numbers tf.image.resize gives: a quarter of the way between neighbours.
  LayerSpec s = spec_of("Resizing", {2, 2, 1});
  s.pre.height = s.pre.width = 4;
  auto layer = build(s);
  std::vector<float> x = {1, 2, 3, 4}, y(16);
  layer->forward(x.data(), y.data(), 1, RunContext{});
  std::vector<float> want = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
  EXPECT_ARRAYS_CLOSE(y.data(), want.data(), 16, 1e-6, 0, "2x2 -> 4x4");
}

TEST(preprocessing_resizing_crop_and_pad_to_aspect_ratio) {
  const int h = 4, w = 8, c = 1, n = 1;
  std::vector<float> x = random_floats(size_t(h) * w * c, 6);
  // crop to 1:1 keeps the centre 4x4 (columns 2..5); resizing it to 4x4 changes nothing.
  LayerSpec s = spec_of("Resizing", {h, w, c});
  s.pre.height = s.pre.width = 4;
  s.pre.crop_to_aspect_ratio = true;
  auto crop = build(s);
  std::vector<float> y(16);
  crop->forward(x.data(), y.data(), n, RunContext{});
  for (int r = 0; r < 4; ++r)
    for (int col = 0; col < 4; ++col) EXPECT_EQ(y[size_t(r) * 4 + col], x[size_t(r) * w + col + 2]);
  // pad to 1:1 puts 2 rows of fill above and below (8x8), then resizes 8x8 -> 4x4 (the mean of 2x2 blocks).
  s.pre.crop_to_aspect_ratio = false;
  s.pre.pad_to_aspect_ratio = true;
  s.pre.fill_value = 3;
  auto pad = build(s);
  pad->forward(x.data(), y.data(), n, RunContext{});
  for (int r = 0; r < 4; ++r)
    for (int col = 0; col < 4; ++col) {
      auto v = [&](int rr, int cc) { return rr < 2 || rr >= 6 ? 3.0 : double(x[size_t(rr - 2) * w + cc]); };
      double want = (v(2 * r, 2 * col) + v(2 * r, 2 * col + 1) + v(2 * r + 1, 2 * col) + v(2 * r + 1, 2 * col + 1)) / 4;
      EXPECT_NEAR(y[size_t(r) * 4 + col], want, 1e-6);
    }
  check_layer_gradients(*pad, x, n, [&](const Vec& xd, const std::vector<Vec>&) {
    Vec padded(64, 3.0);
    for (int r = 0; r < h; ++r)
      for (int col = 0; col < w; ++col) padded[size_t(r + 2) * 8 + col] = xd[size_t(r) * w + col];
    return ref_resize_bilinear(padded, 8, 8, 1, 4, 4);
  }, "resize pad_to_aspect_ratio");
}

namespace golden {
#include "tests/augment_golden.inc"
}

TEST(augment_sampling_matches_real_keras_in_every_fill_mode) {
  // Numbers from keras.ops.image.affine_transform (test/python/augment_golden.py), including wrap's
  // seams and points far outside the image.
  using namespace golden;
  ImageShape s{kGoldenH, kGoldenW, kGoldenC};
  const size_t size = size_t(kGoldenH) * kGoldenW * kGoldenC;
  for (const GoldenCase& k : kGoldenCases) {
    std::vector<float> y(size);
    affine_forward(kGoldenImage, y.data(), s, kGoldenTransforms[k.transform], parse_fill_mode(k.mode),
                   parse_interpolation(k.interpolation), 0.3f);
    EXPECT_ARRAYS_CLOSE(y.data(), k.out, size, 2e-6, 1e-5,
                        "transform " + std::to_string(k.transform) + " " + k.mode + " " + k.interpolation);
  }
  float t[8];
  rotation_matrix(37.0f, kGoldenH, kGoldenW, t);
  EXPECT_ARRAYS_CLOSE(t, kGoldenRotation37, 8, 1e-6, 1e-6, "Keras's RandomRotation matrix for 37 degrees");
}
