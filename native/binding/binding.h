// Shared declarations of the offheap N-API binding (plain C N-API, no C++
// exceptions).
//
// Rule: no function of the binding ever throws into JavaScript. Node cannot
// take an exception while an env is being torn down (worker.terminate(),
// process.exit()), and node-addon-api turns such a failed throw into
// std::terminate. So every entry point returns a value the facade checks
// (a number code, null, or undefined when N-API itself refused to run) and
// the facade (lib/) throws. Every N-API status is checked; a failed call
// returns nullptr (undefined in JavaScript) after releasing what it took.
#ifndef OFFHEAP_BINDING_H
#define OFFHEAP_BINDING_H

#include <node_api.h>

#include <cstddef>
#include <cstdint>

#include "offheap.h"

namespace offheap_binding {

// Result codes besides OFFHEAP_EINVAL and -errno (see lib/native.ts).
constexpr int kSandbox = -1001;     // runtime forbids external ArrayBuffers
constexpr int kDetached = -1002;    // buffer detached by someone else (transfer)
constexpr int kNapiFailed = -1003;  // an N-API call failed (env shutting down)

// A non-negative safe integer (< 2^53), else false.
bool ReadUInt(napi_env env, napi_value v, uint64_t* out);
bool DoubleToUInt(double d, uint64_t* out);

inline double Addr(const void* p) {
  return static_cast<double>(reinterpret_cast<uintptr_t>(p));
}
inline void* Ptr(uint64_t a) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(a));
}

// napi_value of a number; nullptr if N-API refuses.
napi_value Num(napi_env env, double v);

// Reads up to n arguments (missing ones are undefined).
void Args(napi_env env, napi_callback_info info, size_t n, napi_value* argv);

// Builds a plain object; any failure makes Done() return nullptr.
class ObjectBuilder {
 public:
  explicit ObjectBuilder(napi_env env);
  void Number(const char* key, double v);
  void Bool(const char* key, bool v);
  void Value(const char* key, napi_value v);
  napi_value Done() const { return ok_ ? obj_ : nullptr; }

 private:
  napi_env env_;
  napi_value obj_ = nullptr;
  bool ok_;
};

// Pins taken for JavaScript buffers (offheap_pin), counted process-wide.
int Pin(const void* chunk_base);
void Unpin(const void* chunk_base);
int64_t PinCount();

// An external ArrayBuffer over [data, data + len); nullptr + code on failure.
napi_value ExternalBuffer(napi_env env, void* data, size_t len, napi_finalize fin, void* hint,
                          int* code);

// Per-area registration: each adds its functions to exports.
bool InitHotPath(napi_env env, napi_value exports);
bool InitChunks(napi_env env, napi_value exports);
bool InitChecked(napi_env env, napi_value exports);
bool InitHandoff(napi_env env, napi_value exports);
bool InitInfo(napi_env env, napi_value exports);
bool InitMapFile(napi_env env, napi_value exports);

bool SetFunction(napi_env env, napi_value exports, const char* name, napi_callback cb);
bool SetNumber(napi_env env, napi_value exports, const char* name, double v);

// Checked buffers (checked.cc), used by hand-off too.
// A new checked buffer showing len bytes of live block p (len <= its block).
// nullptr + *code on failure; the caller still owns p then.
napi_value MakeChecked(napi_env env, void* p, size_t len, int* code);
// Takes the block out of a live checked buffer: detaches the buffer (stale
// views have length 0) and returns the block, which the caller now owns.
// nullptr + *code otherwise, checked in this order: EINVAL (not a live
// checked buffer), kDetached (detached by someone else), EINVAL (it shows
// fewer than `need` bytes; 0 means any).
void* TakeChecked(napi_env env, napi_value buffer, size_t need, int* code);

}  // namespace offheap_binding

#endif
