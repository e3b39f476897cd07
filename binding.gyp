{
  "targets": [
    {
      "target_name": "offheap",
      "sources": [
        "native/binding/addon.cc",
        "native/binding/checked.cc",
        "native/binding/chunks.cc",
        "native/binding/handoff.cc",
        "native/binding/info.cc",
        "native/binding/mapfile.cc",
        "native/binding/util.cc",
        "native/src/buddy.c",
        "native/src/chunkmap.c",
        "native/src/config.c",
        "native/src/forksafe.c",
        "native/src/handoff.c",
        "native/src/heap.c",
        "native/src/heapid.c",
        "native/src/huge.c",
        "native/src/mapped.c",
        "native/src/os.c",
        "native/src/pool.c",
        "native/src/purge.c",
        "native/src/remote.c",
        "native/src/run.c",
        "native/src/sizeclass.c",
        "native/src/slab.c",
        "native/src/stats.c",
        "native/src/swap.c",
        "native/src/trimmed.c"
      ],
      "include_dirs": [
        "native/include"
      ],
      "defines": [
        "NAPI_VERSION=8"
      ],
      "cflags!": ["-O3"],
      "cflags_cc!": ["-std=gnu++17", "-O3"],
      "cflags": ["-O2", "-fvisibility=hidden"],
      "cflags_c": ["-std=c11"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions"],
      "libraries": ["-lpthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_C_LANGUAGE_STANDARD": "c11",
        "GCC_OPTIMIZATION_LEVEL": "2",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES"
      }
    }
  ]
}
