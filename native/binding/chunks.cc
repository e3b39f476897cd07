// Fast mode: a chunk (pool or huge mapping) exposed to JavaScript as one
// pinned external ArrayBuffer. The buffer's finalizer unpins, so a range
// script can still view is never unmapped by the core. After
// ArrayBuffer.prototype.transfer() the finalizer follows the new buffer, so
// the pin lasts as long as any buffer shows the chunk.
#include "binding.h"

namespace offheap_binding {
namespace {

void UnpinFinalize(napi_env, void*, void* hint) { Unpin(hint); }

// exposeChunk(addr) -> { buffer, base, data, size, huge, fileBacked } for the
// chunk containing addr; null if no chunk contains it; a code (< 0) if the
// buffer cannot be made (kSandbox, kNapiFailed).
napi_value ExposeChunk(napi_env env, napi_callback_info info) {
  napi_value arg;
  Args(env, info, 1, &arg);
  napi_value null_value = nullptr;
  napi_get_null(env, &null_value);
  uint64_t a;
  offheap_chunk_t c;
  if (!ReadUInt(env, arg, &a) || a == 0 || offheap_chunk_of(Ptr(a), &c) != 0 || Pin(c.base) != 0)
    return null_value;
  int code = 0;
  napi_value ab = ExternalBuffer(env, c.data, c.size, UnpinFinalize, c.base, &code);
  if (ab == nullptr) {
    Unpin(c.base);
    return Num(env, code);
  }
  // From here the buffer owns the pin (its finalizer drops it).
  ObjectBuilder o(env);
  o.Value("buffer", ab);
  o.Number("base", Addr(c.base));
  o.Number("data", Addr(c.data));
  o.Number("size", static_cast<double>(c.size));
  o.Bool("huge", c.is_huge != 0);
  o.Bool("fileBacked", c.is_file_backed != 0);
  return o.Done();
}

// usableSize(addr) -> block size, 0 if addr is not a live block start.
napi_value UsableSize(napi_env env, napi_callback_info info) {
  napi_value arg;
  Args(env, info, 1, &arg);
  uint64_t a;
  if (!ReadUInt(env, arg, &a) || a == 0) return Num(env, 0);
  return Num(env, static_cast<double>(offheap_usable_size(Ptr(a))));
}

napi_value PinCountJs(napi_env env, napi_callback_info) {
  return Num(env, static_cast<double>(PinCount()));
}

}  // namespace

bool InitChunks(napi_env env, napi_value exports) {
  return SetFunction(env, exports, "exposeChunk", ExposeChunk) &&
         SetFunction(env, exports, "usableSize", UsableSize) &&
         SetFunction(env, exports, "pinCount", PinCountJs);
}

}  // namespace offheap_binding
