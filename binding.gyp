{
  "targets": [
    {
      "target_name": "offheap",
      "sources": [
        "native/binding/addon.cc",
        "native/src/buddy.c",
        "native/src/chunkmap.c",
        "native/src/config.c",
        "native/src/heap.c",
        "native/src/heapid.c",
        "native/src/huge.c",
        "native/src/os.c",
        "native/src/pool.c",
        "native/src/remote.c",
        "native/src/slab.c",
        "native/src/stats.c",
        "native/src/swap.c"
      ],
      "include_dirs": [
        "native/include",
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O3"],
      "cflags": ["-O2", "-fvisibility=hidden"],
      "cflags_c": ["-std=c11"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "libraries": ["-lpthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_C_LANGUAGE_STANDARD": "c11",
        "GCC_OPTIMIZATION_LEVEL": "2",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES"
      }
    }
  ]
}
