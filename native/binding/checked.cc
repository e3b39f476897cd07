// Checked mode: one external ArrayBuffer per block.
//
// A record per block is shared by two owners: the buffer's backing store
// (its finalizer runs when the last ArrayBuffer holding the memory is gone,
// which after ArrayBuffer.prototype.transfer() is the moved buffer, not the
// original object) and the wrapper on the original buffer object (how free
// and handleOf find the record). The block is freed by whichever comes
// first of: an explicit free/hand-off (which detaches the buffer first, so
// no ArrayBuffer shows the memory any more), or the backing-store finalizer
// (nothing shows it any more). So memory behind a live ArrayBuffer is never
// released, and a buffer detached by someone else (transfer) is refused by
// free: its memory now belongs to the moved buffer and is released when
// that one is collected.
//
// While the block is owned by a buffer the chunk stays pinned.
#include <atomic>
#include <cerrno>
#include <new>

#include "binding.h"

namespace offheap_binding {
namespace {

enum BlockState : int { kLive = 0, kFreed = 1, kHandedOff = 2, kReleased = 3 };

struct CheckedBlock {
  void* addr;
  void* chunk;
  size_t size;  // bytes the buffer shows
  std::atomic<int> state;
  std::atomic<int> refs;
};

void Unref(CheckedBlock* rec) {
  if (rec->refs.fetch_sub(1) == 1) delete rec;
}

void BackingStoreGone(napi_env, void*, void* hint) {
  CheckedBlock* rec = static_cast<CheckedBlock*>(hint);
  int expected = kLive;
  if (rec->state.compare_exchange_strong(expected, kReleased)) {
    offheap_free(rec->addr);
    Unpin(rec->chunk);
  }
  Unref(rec);
}

void WrapperGone(napi_env, void* data, void*) { Unref(static_cast<CheckedBlock*>(data)); }

CheckedBlock* RecordOf(napi_env env, napi_value v) {
  bool is_ab = false;
  void* rec = nullptr;
  if (v == nullptr || napi_is_arraybuffer(env, v, &is_ab) != napi_ok || !is_ab ||
      napi_unwrap(env, v, &rec) != napi_ok)
    return nullptr;
  return static_cast<CheckedBlock*>(rec);
}

// allocChecked(size) -> ArrayBuffer of exactly size bytes, or a code (< 0).
napi_value AllocChecked(napi_env env, napi_callback_info info) {
  napi_value arg;
  Args(env, info, 1, &arg);
  uint64_t n;
  if (!ReadUInt(env, arg, &n) || n == 0 || n > OFFHEAP_MAX_ALLOC) return Num(env, -EINVAL);
  void* p = offheap_alloc(static_cast<size_t>(n));
  if (!p) return Num(env, -(errno ? errno : ENOMEM));
  int code = 0;
  napi_value ab = MakeChecked(env, p, static_cast<size_t>(n), &code);
  if (ab == nullptr) {
    offheap_free(p);
    return Num(env, code);
  }
  return ab;
}

// freeChecked(buffer) -> 0 | EINVAL | kDetached | kNapiFailed. Detaches the
// buffer: stale views of it have length 0 from now on.
napi_value FreeChecked(napi_env env, napi_callback_info info) {
  napi_value arg;
  Args(env, info, 1, &arg);
  int code = 0;
  void* p = TakeChecked(env, arg, 0, &code);
  if (p == nullptr) return Num(env, code);
  return Num(env, offheap_free(p));
}

}  // namespace

napi_value MakeChecked(napi_env env, void* p, size_t len, int* code) {
  offheap_chunk_t c;
  if (len == 0 || len > offheap_usable_size(p) || offheap_chunk_of(p, &c) != 0 || Pin(c.base) != 0) {
    *code = OFFHEAP_EINVAL;
    return nullptr;
  }
  CheckedBlock* rec = new (std::nothrow) CheckedBlock{p, c.base, len, {kLive}, {2}};
  if (rec == nullptr) {
    Unpin(c.base);
    *code = -ENOMEM;
    return nullptr;
  }
  napi_value ab = ExternalBuffer(env, p, len, BackingStoreGone, rec, code);
  if (ab == nullptr) {
    delete rec;
    Unpin(c.base);
    return nullptr;
  }
  if (napi_wrap(env, ab, rec, WrapperGone, nullptr, nullptr) != napi_ok) {
    // The buffer exists and will finalize the record: disown the block
    // (the caller frees it) and hide it from script.
    rec->state.store(kFreed);
    napi_detach_arraybuffer(env, ab);
    Unpin(c.base);
    Unref(rec);  // the wrapper's reference, never taken
    *code = kNapiFailed;
    return nullptr;
  }
  return ab;
}

void* TakeChecked(napi_env env, napi_value buffer, size_t need, int* code) {
  CheckedBlock* rec = RecordOf(env, buffer);
  if (rec == nullptr || rec->state.load() != kLive) {
    *code = OFFHEAP_EINVAL;
    return nullptr;
  }
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, buffer, &detached) != napi_ok) {
    *code = kNapiFailed;
    return nullptr;
  }
  if (detached) {  // moved away (transfer): the moved buffer owns the memory now
    *code = kDetached;
    return nullptr;
  }
  if (need > rec->size) {
    *code = OFFHEAP_EINVAL;
    return nullptr;
  }
  rec->state.store(kFreed);
  if (napi_detach_arraybuffer(env, buffer) != napi_ok) {
    rec->state.store(kLive);
    *code = kNapiFailed;
    return nullptr;
  }
  Unpin(rec->chunk);
  return rec->addr;
}

bool InitChecked(napi_env env, napi_value exports) {
  return SetFunction(env, exports, "allocChecked", AllocChecked) &&
         SetFunction(env, exports, "freeChecked", FreeChecked);
}

}  // namespace offheap_binding
