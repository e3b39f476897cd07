// offheap N-API binding: module init and the hot path. Thin: argument checks
// and conversions only; every allocator decision is made by the C core
// (native/include/offheap.h). See binding.h for the no-throw rule.
//
// Files: addon.cc (init, alloc/free), chunks.cc (pool and huge buffers),
// checked.cc (checked-mode buffers), handoff.cc (handles between threads),
// info.cc (stats, gc, configuration), mapfile.cc (file mappings), util.cc
// (helpers).
//
// Addresses cross into JS as doubles: user-space addresses on supported
// platforms are below 2^53 (x86-64 / arm64 use at most 48-52 bits).

#include <cerrno>
#include <cmath>
#include <new>

#include "binding.h"

namespace offheap_binding {
namespace {

// ---- hot path ----------------------------------------------------------------
//
// A raw N-API call that reads one number argument and returns a non-Smi
// number costs ~33 ns; a call with no arguments and no return value ~7.5 ns.
// So the hot calls exchange operand and result through per-thread
// "registers": a few doubles exposed to JavaScript once per env as an
// external ArrayBuffer over thread_local storage. An env always runs on one
// thread, and nothing else runs between the JS store and the call.
//   allocR(): size in R[0]  -> R[0] = address, or -errno (<= 0)
//   freeR():  addr in R[0]  -> R[0] = 0, or OFFHEAP_EINVAL
constexpr size_t kRegCount = 4;
thread_local double t_regs[kRegCount];
thread_local double* t_reg = nullptr;

inline double AllocResult(double d) {
  if (!(d >= 1.0 && d <= static_cast<double>(OFFHEAP_MAX_ALLOC)) || d != std::floor(d))
    return -static_cast<double>(EINVAL);
  void* p = offheap_alloc(static_cast<size_t>(d));
  return p ? Addr(p) : -static_cast<double>(errno ? errno : ENOMEM);
}

inline int FreeResult(double d) {
  uint64_t a;
  if (!DoubleToUInt(d, &a) || a == 0) return OFFHEAP_EINVAL;
  return offheap_free(Ptr(a));
}

napi_value RegAlloc(napi_env, napi_callback_info) {
  double* r = t_reg;
  if (r != nullptr) r[0] = AllocResult(r[0]);
  return nullptr;
}

napi_value RegFree(napi_env, napi_callback_info) {
  double* r = t_reg;
  if (r != nullptr) r[0] = FreeResult(r[0]);
  return nullptr;
}

// Argument-passing variants (same contract; used by tests and tools).
napi_value RawAlloc(napi_env env, napi_callback_info info) {
  napi_value arg;
  Args(env, info, 1, &arg);
  double d = 0;
  if (arg == nullptr || napi_get_value_double(env, arg, &d) != napi_ok) d = 0;
  return Num(env, AllocResult(d));
}

napi_value RawFree(napi_env env, napi_callback_info info) {
  napi_value arg;
  Args(env, info, 1, &arg);
  double d = 0;
  if (arg == nullptr || napi_get_value_double(env, arg, &d) != napi_ok) d = 0;
  return Num(env, FreeResult(d));
}

// ---- per-env instance -------------------------------------------------------

struct Instance {
  napi_ref registers = nullptr;  // only under the V8 sandbox (plain buffer)
};

// Env teardown (worker exit, terminate(), process exit): hand this thread's
// heap to the core's pending-merge queue. Blocks stay valid.
void DetachHook(void*) { offheap_thread_detach(); }

void FinalizeInstance(napi_env env, void* data, void*) {
  Instance* inst = static_cast<Instance*>(data);
  if (inst->registers != nullptr) {
    t_reg = nullptr;
    napi_delete_reference(env, inst->registers);
  }
  offheap_thread_detach();
  delete inst;
}

napi_value Registers(napi_env env, Instance* inst) {
  napi_value regs = nullptr;
  int code = 0;
  regs = ExternalBuffer(env, t_regs, sizeof t_regs, nullptr, nullptr, &code);
  if (regs != nullptr) {
    t_reg = t_regs;
    return regs;
  }
  if (code != kSandbox) return nullptr;
  // V8 sandbox: an ordinary buffer, kept alive by a reference. Every
  // allocation then fails with ERR_OFFHEAP_SANDBOX anyway.
  void* data = nullptr;
  if (napi_create_arraybuffer(env, sizeof t_regs, &data, &regs) != napi_ok ||
      napi_create_reference(env, regs, 1, &inst->registers) != napi_ok)
    return nullptr;
  t_reg = static_cast<double*>(data);
  return regs;
}

}  // namespace

bool InitHotPath(napi_env env, napi_value exports) {
  return SetFunction(env, exports, "alloc", RawAlloc) && SetFunction(env, exports, "free", RawFree) &&
         SetFunction(env, exports, "allocR", RegAlloc) && SetFunction(env, exports, "freeR", RegFree);
}

}  // namespace offheap_binding

using namespace offheap_binding;

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  Instance* inst = new (std::nothrow) Instance();
  if (inst == nullptr) return nullptr;
  if (napi_set_instance_data(env, inst, FinalizeInstance, nullptr) != napi_ok) {
    delete inst;
    return nullptr;
  }
  napi_add_env_cleanup_hook(env, DetachHook, inst);  // unique arg per instance
  napi_value regs = Registers(env, inst);
  bool ok = regs != nullptr && napi_set_named_property(env, exports, "registers", regs) == napi_ok &&
            InitHotPath(env, exports) && InitChunks(env, exports) && InitChecked(env, exports) &&
            InitHandoff(env, exports) && InitInfo(env, exports) && InitMapFile(env, exports) &&
            SetNumber(env, exports, "MIN_ORDER", OFFHEAP_MIN_ORDER) &&
            SetNumber(env, exports, "MAX_ORDER", OFFHEAP_MAX_ORDER) &&
            SetNumber(env, exports, "POOL_SIZE", static_cast<double>(OFFHEAP_POOL_SIZE)) &&
            SetNumber(env, exports, "MAX_ALLOC", static_cast<double>(OFFHEAP_MAX_ALLOC)) &&
            SetNumber(env, exports, "EINVAL", OFFHEAP_EINVAL) && SetNumber(env, exports, "ENOMEM", ENOMEM) &&
            SetNumber(env, exports, "SANDBOX", kSandbox) && SetNumber(env, exports, "DETACHED", kDetached) &&
            SetNumber(env, exports, "NAPI_FAILED", kNapiFailed);
  return ok ? exports : nullptr;
}
