# node-gyp build of the same sources as native/CMakeLists.txt, for users who prefer node-gyp:
#   npx node-gyp rebuild   ->  build/Release/cnn.node
# Sources are listed by globbing the folders, so a new file needs no edit here. Each ISA's kernels are a
# static library compiled with that ISA's flags only; never -march=native.
# MPI (libcnn_mpi.so, data-parallel training) is left out of this build: `cnn train --distributed` then
# says so; build with `npm run build` (cmake-js, which finds MPI) for it. -ldl: the addon dlopen()s it.
{
  "variables": {
    "core_sources": ["<!@(node -p \"require('./native/gyp-sources.cjs')('core')\")"],
    "addon_sources": ["<!@(node -p \"require('./native/gyp-sources.cjs')('addon')\")"],
    "avx2_sources": ["<!@(node -p \"require('./native/gyp-sources.cjs')('kernels/avx2')\")"],
    "avx512_sources": ["<!@(node -p \"require('./native/gyp-sources.cjs')('kernels/avx512')\")"],
    "neon_sources": ["<!@(node -p \"require('./native/gyp-sources.cjs')('kernels/neon')\")"],
    "common_cflags": ["-O3", "-std=c++17", "-fPIC", "-fno-math-errno", "-Wall", "-Wno-unused-parameter"]
  },
  "target_defaults": {
    "include_dirs": ["native"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++17"],
    "cflags_cc": ["<@(common_cflags)"],
    "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
  },
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        { "target_name": "cnn_avx2", "type": "static_library", "sources": ["<@(avx2_sources)"],
          "cflags_cc": ["-mavx2", "-mfma"] },
        { "target_name": "cnn_avx512", "type": "static_library", "sources": ["<@(avx512_sources)"],
          "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma"] },
        { "target_name": "cnn",
          "sources": ["<@(core_sources)", "<@(addon_sources)"],
          "dependencies": ["cnn_avx2", "cnn_avx512"],
          "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
          "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED",
                      "CNN_HAVE_AVX2=1", "CNN_HAVE_AVX512=1"],
          "libraries": ["-lpthread", "-ldl"] }
      ]
    }, {
      "targets": [
        { "target_name": "cnn",
          "sources": ["<@(core_sources)", "<@(addon_sources)", "<@(neon_sources)"],
          "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
          "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
          "conditions": [["target_arch=='arm64'", { "defines": ["CNN_HAVE_NEON=1"] }]],
          "libraries": ["-lpthread", "-ldl"] }
      ]
    }]
  ]
}
