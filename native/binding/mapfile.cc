// File mappings (offheap_map_file) exposed to JavaScript.
//
// A mapping is one block that is its whole chunk, so it is exposed the way
// checked mode exposes a block, whatever this thread's mode: its own pinned
// external ArrayBuffer, detached by free (the mapping goes as soon as free
// returns, stale views read length 0) and freed when V8 collects a buffer
// script forgot. The fd is the caller's: it may be closed right after.
#include <climits>

#include "binding.h"

namespace offheap_binding {
namespace {

// mapFile(fd, length, mode) -> ArrayBuffer of exactly length bytes over the
// file, or a code: OFFHEAP_EINVAL (bad argument, or the file is shorter than
// length now), -errno from the core (fstat/mmap), kSandbox, kNapiFailed.
napi_value MapFile(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Args(env, info, 3, argv);
  uint64_t fd, len, mode;
  if (!ReadUInt(env, argv[0], &fd) || !ReadUInt(env, argv[1], &len) || !ReadUInt(env, argv[2], &mode) ||
      fd > INT_MAX || len == 0 || len > OFFHEAP_MAX_ALLOC || len > SIZE_MAX || mode > OFFHEAP_MAP_WRITE)
    return Num(env, OFFHEAP_EINVAL);
  void* p = nullptr;
  int r = offheap_map_file(static_cast<int>(fd), len, static_cast<int>(mode), &p);
  if (r != 0) return Num(env, r);
  int code = 0;
  napi_value ab = MakeChecked(env, p, static_cast<size_t>(len), &code);
  if (ab == nullptr) {
    offheap_free(p);  // no buffer shows it: unmapped now
    return Num(env, code);
  }
  return ab;
}

}  // namespace

bool InitMapFile(napi_env env, napi_value exports) {
  return SetFunction(env, exports, "mapFile", MapFile) &&
         SetNumber(env, exports, "MAP_READ", OFFHEAP_MAP_READ) &&
         SetNumber(env, exports, "MAP_COPY", OFFHEAP_MAP_COPY) &&
         SetNumber(env, exports, "MAP_WRITE", OFFHEAP_MAP_WRITE);
}

}  // namespace offheap_binding
