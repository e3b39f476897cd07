// Small N-API helpers shared by the binding's files.
#include <atomic>
#include <cmath>

#include "binding.h"

namespace offheap_binding {

constexpr double kMaxSafe = 9007199254740992.0;  // 2^53

bool DoubleToUInt(double d, uint64_t* out) {
  if (!(d >= 0.0 && d < kMaxSafe) || d != std::floor(d)) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

bool ReadUInt(napi_env env, napi_value v, uint64_t* out) {
  double d;
  if (v == nullptr || napi_get_value_double(env, v, &d) != napi_ok) return false;
  return DoubleToUInt(d, out);
}

napi_value Num(napi_env env, double v) {
  napi_value out;
  return napi_create_double(env, v, &out) == napi_ok ? out : nullptr;
}

void Args(napi_env env, napi_callback_info info, size_t n, napi_value* argv) {
  for (size_t i = 0; i < n; i++) argv[i] = nullptr;
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    for (size_t i = 0; i < n; i++) argv[i] = nullptr;
  }
}

ObjectBuilder::ObjectBuilder(napi_env env) : env_(env) {
  ok_ = napi_create_object(env, &obj_) == napi_ok;
}

void ObjectBuilder::Number(const char* key, double v) {
  napi_value x;
  ok_ = ok_ && napi_create_double(env_, v, &x) == napi_ok &&
        napi_set_named_property(env_, obj_, key, x) == napi_ok;
}

void ObjectBuilder::Bool(const char* key, bool v) {
  napi_value x;
  ok_ = ok_ && napi_get_boolean(env_, v, &x) == napi_ok &&
        napi_set_named_property(env_, obj_, key, x) == napi_ok;
}

void ObjectBuilder::Value(const char* key, napi_value v) {
  ok_ = ok_ && v != nullptr && napi_set_named_property(env_, obj_, key, v) == napi_ok;
}

static std::atomic<int64_t> g_pins{0};

int Pin(const void* base) {
  int r = offheap_pin(base);
  if (r == 0) g_pins.fetch_add(1, std::memory_order_relaxed);
  return r;
}

void Unpin(const void* base) {
  g_pins.fetch_sub(1, std::memory_order_relaxed);
  offheap_unpin(base);
}

int64_t PinCount() { return g_pins.load(std::memory_order_relaxed); }

napi_value ExternalBuffer(napi_env env, void* data, size_t len, napi_finalize fin, void* hint,
                          int* code) {
  napi_value ab;
  napi_status st = napi_create_external_arraybuffer(env, data, len, fin, hint, &ab);
  if (st == napi_ok) return ab;
  *code = st == napi_no_external_buffers_allowed ? kSandbox : kNapiFailed;
  return nullptr;
}

bool SetFunction(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

bool SetNumber(napi_env env, napi_value exports, const char* name, double v) {
  napi_value x = Num(env, v);
  return x != nullptr && napi_set_named_property(env, exports, name, x) == napi_ok;
}

}  // namespace offheap_binding
