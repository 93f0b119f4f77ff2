// LayerSpec.pre from the "preprocessing" object of a layer (src/model/spec.ts NativePreprocessingSpec).
#include "addon/convert.h"
#include "addon/errors.h"

namespace cnn_addon {

namespace {
void get_range(const Napi::Object& o, const char* key, double out[2]) {
  if (!o.Has(key) || o.Get(key).IsUndefined() || o.Get(key).IsNull()) return;
  Napi::Value v = o.Get(key);
  require(o.Env(), v.IsArray() && v.As<Napi::Array>().Length() == 2, std::string(key) + " must be a pair of numbers");
  Napi::Array a = v.As<Napi::Array>();
  out[0] = to_finite(a.Get(uint32_t(0)), std::string(key) + "[0]");
  out[1] = to_finite(a.Get(uint32_t(1)), std::string(key) + "[1]");
}
}  // namespace

cnn::PreprocessingSpec to_preprocessing_spec(const Napi::Object& layer) {
  cnn::PreprocessingSpec p;
  if (!layer.Has("preprocessing") || !layer.Get("preprocessing").IsObject()) return p;
  Napi::Object o = layer.Get("preprocessing").As<Napi::Object>();
  p.scale = get_number(o, "scale", p.scale);
  p.offset = get_number(o, "offset", p.offset);
  p.height = get_int(o, "height", 0, 0);
  p.width = get_int(o, "width", 0, 0);
  p.interpolation = get_string(o, "interpolation", p.interpolation);
  p.crop_to_aspect_ratio = get_bool(o, "crop_to_aspect_ratio", false);
  p.pad_to_aspect_ratio = get_bool(o, "pad_to_aspect_ratio", false);
  p.fill_mode = get_string(o, "fill_mode", p.fill_mode);
  p.fill_value = get_number(o, "fill_value", 0);
  p.mode = get_string(o, "mode", p.mode);
  get_range(o, "height_factor", p.height_factor);
  get_range(o, "width_factor", p.width_factor);
  get_range(o, "factor", p.factor);
  p.has_width_factor = get_bool(o, "has_width_factor", true);
  get_range(o, "value_range", p.value_range);
  if (o.Has("seed") && !o.Get("seed").IsUndefined() && !o.Get("seed").IsNull()) {
    p.seed = uint64_t(to_int64(o.Get("seed"), "seed", 0, kMaxSafeInteger));
    p.has_seed = true;
  }
  std::vector<int> pad = get_int_array(o, "pad", 0);
  if (!pad.empty()) {
    require(o.Env(), pad.size() == 4, "pad must hold 4 integers (top, bottom, left, right)");
    for (int i = 0; i < 4; ++i) p.pad[i] = pad[size_t(i)];
  }
  return p;
}

}  // namespace cnn_addon
