// offheap N-API binding (node-addon-api). Thin: argument checks and
// conversions only; every allocator decision is made by the C core
// (native/include/offheap.h).
//
// Fast mode protocol (see lib/native.ts and lib/index.ts):
//   alloc(size)  -> block address as a JS number, or -errno (<= 0) on failure
//   free(addr)   -> 0, or OFFHEAP_EINVAL
//   exposeChunk(addr) -> { buffer, base, data, size, huge, fileBacked } | null
//       one external ArrayBuffer over [chunk.data, chunk.data + chunk.size),
//       created with offheap_pin(chunk.base); its finalizer unpins, so a
//       range script can still view is never unmapped by the core.
// Checked mode: one external ArrayBuffer per allocation, wrapped with a small
// record {addr, state} so free can detach it and the finalizer frees the
// block only if it is still owned by this buffer.
//
// Addresses cross into JS as doubles: user-space addresses on supported
// platforms are below 2^53 (x86-64 / arm64 use at most 48-52 bits).

#include <napi.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <atomic>
#include <random>

#include "offheap.h"

namespace {

constexpr double kMaxSafe = 9007199254740992.0;  // 2^53

// ---- helpers ---------------------------------------------------------------

// Reads a JS number that must be a non-negative safe integer. Returns false
// for anything else (wrong type, negative, fractional, NaN, too large).
inline bool ReadUInt(napi_env env, napi_value v, uint64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0.0 && d < kMaxSafe) || d != std::floor(d)) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

inline bool ReadUInt(const Napi::Value& v, uint64_t* out) {
  return ReadUInt(v.Env(), v, out);
}

inline double Addr(const void* p) {
  return static_cast<double>(reinterpret_cast<uintptr_t>(p));
}

inline void* Ptr(uint64_t a) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(a));
}

// Handle tags: a keyed 53-bit hash of (address, byteLength), keyed by a
// per-process random secret (static: shared by every worker of the process,
// since the shared object is loaded once). It makes forged or corrupted
// handles (wrong numbers, wrong process) fail before reaching the core.
uint64_t g_secret = 0;

inline uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline double Tag(uint64_t addr, uint64_t len) {
  uint64_t h = Mix(g_secret ^ Mix(addr ^ Mix(len + 0x51ED270B27ull)));
  h &= (1ull << 53) - 1;
  if (h == 0) h = 1;
  return static_cast<double>(h);
}

void InitSecret() {
  static bool done = [] {
    std::random_device rd;
    uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    s ^= reinterpret_cast<uintptr_t>(&g_secret);
    g_secret = Mix(s) | 1;
    return true;
  }();
  (void)done;
}

Napi::Error SandboxError(Napi::Env env) {
  Napi::Error e = Napi::Error::New(
      env,
      "offheap cannot create external ArrayBuffers in this runtime: the V8 "
      "sandbox (Electron >= 21 and other embedders) forbids ArrayBuffers "
      "over memory allocated outside V8 (napi_no_external_buffers_allowed). "
      "offheap needs external buffers; run it in Node.js or in an Electron "
      "process with the sandbox disabled.");
  e.Set("code", Napi::String::New(env, "ERR_OFFHEAP_SANDBOX"));
  return e;
}

// ---- hot path ----------------------------------------------------------------
//
// Measured on the target machine: a raw N-API call that reads one number
// argument and returns a non-Smi number costs ~33 ns; returning a heap number
// alone costs ~10 ns and reading arguments ~10 ns. A call with no arguments
// and no return value costs ~7.5 ns. So the hot calls exchange their operand
// and result through a per-thread "register": a few doubles exposed to
// JavaScript once per env as a Float64Array (`registers`): an external
// ArrayBuffer over thread_local storage. An env always runs on one thread
// (main thread or a worker's thread), so the registers are per env, and two
// instances of the addon in one thread (the same file loaded twice) share
// them consistently; nothing else runs between the JS store and the call.
// (Under the V8 sandbox, where external buffers are refused, the registers
// fall back to an ordinary ArrayBuffer; every allocation then fails with
// ERR_OFFHEAP_SANDBOX anyway.)
//   allocR(): size in R[0]  -> R[0] = address, or -errno (<= 0)
//   freeR():  addr in R[0]  -> R[0] = 0, or OFFHEAP_EINVAL
constexpr size_t kRegCount = 4;
thread_local double t_regs[kRegCount];
thread_local double* t_reg = nullptr;  // set by the addon init on this thread

inline bool RegUInt(double d, uint64_t* out) {
  if (!(d >= 0.0 && d < kMaxSafe) || d != std::floor(d)) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

napi_value RegAlloc(napi_env, napi_callback_info) {
  double* r = t_reg;
  double d = r[0];
  if (!(d >= 1.0 && d <= static_cast<double>(OFFHEAP_MAX_ALLOC)) || d != std::floor(d)) {
    r[0] = -static_cast<double>(EINVAL);
    return nullptr;
  }
  void* p = offheap_alloc(static_cast<size_t>(d));
  r[0] = p ? Addr(p) : -static_cast<double>(errno ? errno : ENOMEM);
  return nullptr;
}

napi_value RegFree(napi_env, napi_callback_info) {
  double* r = t_reg;
  uint64_t a;
  if (!RegUInt(r[0], &a) || a == 0) {
    r[0] = OFFHEAP_EINVAL;
    return nullptr;
  }
  r[0] = offheap_free(Ptr(a));
  return nullptr;
}

// Argument-passing variants (same contract, simpler to call; used by tests
// and tools, ~2x the call cost of the register variants).

napi_value RawAlloc(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  double d = 0;
  double result;
  if (argc < 1 || napi_get_value_double(env, arg, &d) != napi_ok ||
      !(d >= 1.0 && d <= static_cast<double>(OFFHEAP_MAX_ALLOC))) {
    result = -static_cast<double>(EINVAL);
  } else {
    void* p = offheap_alloc(static_cast<size_t>(d));
    result = p ? Addr(p) : -static_cast<double>(errno ? errno : ENOMEM);
  }
  napi_value out;
  napi_create_double(env, result, &out);
  return out;
}

napi_value RawFree(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  uint64_t a;
  int r;
  if (argc < 1 || !ReadUInt(env, arg, &a) || a == 0)
    r = OFFHEAP_EINVAL;
  else
    r = offheap_free(Ptr(a));
  napi_value out;
  napi_create_int32(env, r, &out);
  return out;
}

// Pins this binding holds right now, process-wide (diagnostics and tests:
// every pin taken for a JavaScript buffer must be dropped by its finalizer).
std::atomic<int64_t> g_pins{0};

inline int Pin(const void* base) {
  int r = offheap_pin(base);
  if (r == 0) g_pins.fetch_add(1, std::memory_order_relaxed);
  return r;
}
inline void Unpin(const void* base) {
  g_pins.fetch_sub(1, std::memory_order_relaxed);
  offheap_unpin(base);
}

// ---- checked mode records ---------------------------------------------------

enum BlockState : int { kLive = 0, kFreed = 1, kHandedOff = 2 };

// While a checked buffer is attached (state kLive) it also pins its chunk, so
// even a block freed behind its back (e.g. through a hand-made fast view of
// the pool) never leaves this buffer over unmapped memory. free / handoff
// detach the buffer and drop the pin at once.
struct CheckedBlock {
  void* addr;
  void* chunk;
  size_t size;
  int state;
};

void CheckedFinalize(napi_env, void* data, void*) {
  CheckedBlock* rec = static_cast<CheckedBlock*>(data);
  // Finalizers run late (event loop or env teardown). Free only a block this
  // buffer still owns: not one freed explicitly or handed to another thread.
  if (rec->state == kLive) {
    offheap_free(rec->addr);
    Unpin(rec->chunk);
  }
  delete rec;
}

void DetachHook(void*) { offheap_thread_detach(); }



// ---- the addon (one instance per env: main thread and every worker) --------

class OffheapAddon : public Napi::Addon<OffheapAddon> {
 public:
  OffheapAddon(Napi::Env env, Napi::Object exports) {
    InitSecret();
    // Env teardown (worker exit, terminate(), process exit): hand this
    // thread's heap to the core's pending-merge queue. Blocks stay valid.
    napi_add_env_cleanup_hook(env, DetachHook, this);  // unique arg per instance

    napi_value fn;
    napi_create_function(env, "alloc", NAPI_AUTO_LENGTH, RawAlloc, nullptr, &fn);
    exports.Set("alloc", Napi::Value(env, fn));
    napi_create_function(env, "free", NAPI_AUTO_LENGTH, RawFree, nullptr, &fn);
    exports.Set("free", Napi::Value(env, fn));
    napi_create_function(env, "allocR", NAPI_AUTO_LENGTH, RegAlloc, nullptr, &fn);
    exports.Set("allocR", Napi::Value(env, fn));
    napi_create_function(env, "freeR", NAPI_AUTO_LENGTH, RegFree, nullptr, &fn);
    exports.Set("freeR", Napi::Value(env, fn));
    napi_value regs;
    napi_status st = napi_create_external_arraybuffer(env, t_regs, sizeof t_regs, nullptr, nullptr, &regs);
    if (st == napi_ok) {
      t_reg = t_regs;
    } else if (st == napi_no_external_buffers_allowed) {
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, sizeof t_regs);
      registers_ = Napi::Persistent(ab);
      t_reg = static_cast<double*>(ab.Data());
      regs = ab;
    } else {
      NAPI_THROW_IF_FAILED_VOID(env, st);
    }
    exports.Set("registers", Napi::Value(env, regs));

    DefineAddon(exports, {
        InstanceMethod("exposeChunk", &OffheapAddon::ExposeChunk),
        InstanceMethod("usableSize", &OffheapAddon::UsableSize),
        InstanceMethod("allocChecked", &OffheapAddon::AllocChecked),
        InstanceMethod("freeChecked", &OffheapAddon::FreeChecked),
        InstanceMethod("handoff", &OffheapAddon::Handoff),
        InstanceMethod("handoffChecked", &OffheapAddon::HandoffChecked),
        InstanceMethod("adopt", &OffheapAddon::Adopt),
        InstanceMethod("adoptChecked", &OffheapAddon::AdoptChecked),
        InstanceMethod("stats", &OffheapAddon::Stats),
        InstanceMethod("gc", &OffheapAddon::Gc),
        InstanceMethod("configure", &OffheapAddon::Configure),
        InstanceMethod("getConfig", &OffheapAddon::GetConfig),
        InstanceMethod("threadDetach", &OffheapAddon::ThreadDetach),
        InstanceMethod("pinCount", &OffheapAddon::PinCount),
    });

    exports.Set("MIN_ORDER", Napi::Number::New(env, OFFHEAP_MIN_ORDER));
    exports.Set("MAX_ORDER", Napi::Number::New(env, OFFHEAP_MAX_ORDER));
    exports.Set("POOL_SIZE", Napi::Number::New(env, static_cast<double>(OFFHEAP_POOL_SIZE)));
    exports.Set("MAX_ALLOC", Napi::Number::New(env, static_cast<double>(OFFHEAP_MAX_ALLOC)));
    exports.Set("EINVAL", Napi::Number::New(env, OFFHEAP_EINVAL));
    exports.Set("ENOMEM", Napi::Number::New(env, ENOMEM));
  }

  ~OffheapAddon() {
    if (!registers_.IsEmpty()) t_reg = nullptr;
    offheap_thread_detach();
  }

 private:
  Napi::Reference<Napi::ArrayBuffer> registers_;

  static void UnpinFinalize(napi_env, void*, void* hint) {
    Unpin(hint);
  }

  // exposeChunk(addr): chunk containing addr as one pinned external buffer.
  Napi::Value ExposeChunk(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t a;
    if (info.Length() < 1 || !ReadUInt(info[0], &a) || a == 0) return env.Null();
    offheap_chunk_t c;
    if (offheap_chunk_of(Ptr(a), &c) != 0) return env.Null();
    if (Pin(c.base) != 0) return env.Null();
    napi_value ab;
    napi_status st = napi_create_external_arraybuffer(
        env, c.data, c.size, UnpinFinalize, c.base, &ab);
    if (st != napi_ok) {
      Unpin(c.base);
      if (st == napi_no_external_buffers_allowed) throw SandboxError(env);
      NAPI_THROW_IF_FAILED(env, st, env.Null());
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("buffer", Napi::Value(env, ab));
    o.Set("base", Napi::Number::New(env, Addr(c.base)));
    o.Set("data", Napi::Number::New(env, Addr(c.data)));
    o.Set("size", Napi::Number::New(env, static_cast<double>(c.size)));
    o.Set("huge", Napi::Boolean::New(env, c.is_huge != 0));
    o.Set("fileBacked", Napi::Boolean::New(env, c.is_file_backed != 0));
    return o;
  }

  Napi::Value UsableSize(const Napi::CallbackInfo& info) {
    uint64_t a;
    if (info.Length() < 1 || !ReadUInt(info[0], &a) || a == 0)
      return Napi::Number::New(info.Env(), 0);
    return Napi::Number::New(info.Env(),
                             static_cast<double>(offheap_usable_size(Ptr(a))));
  }

  // Wraps block p (exactly len bytes visible) in its own external buffer.
  Napi::Value MakeChecked(Napi::Env env, void* p, size_t len, bool free_on_error) {
    offheap_chunk_t c;
    if (offheap_chunk_of(p, &c) != 0 || Pin(c.base) != 0) {
      if (free_on_error) offheap_free(p);
      return Napi::Number::New(env, OFFHEAP_EINVAL);
    }
    CheckedBlock* rec = new CheckedBlock{p, c.base, len, kLive};
    napi_value ab;
    napi_status st = napi_create_external_arraybuffer(env, p, len, nullptr, nullptr, &ab);
    if (st == napi_ok) st = napi_wrap(env, ab, rec, CheckedFinalize, nullptr, nullptr);
    if (st != napi_ok) {
      delete rec;
      Unpin(c.base);
      if (free_on_error) offheap_free(p);
      if (st == napi_no_external_buffers_allowed) throw SandboxError(env);
      NAPI_THROW_IF_FAILED(env, st, env.Null());
    }
    return Napi::Value(env, ab);
  }

  // allocChecked(size) -> ArrayBuffer of exactly size bytes, or -errno.
  Napi::Value AllocChecked(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t n;
    if (info.Length() < 1 || !ReadUInt(info[0], &n) || n == 0 || n > OFFHEAP_MAX_ALLOC)
      return Napi::Number::New(env, -EINVAL);
    void* p = offheap_alloc(static_cast<size_t>(n));
    if (!p) return Napi::Number::New(env, -(errno ? errno : ENOMEM));
    return MakeChecked(env, p, static_cast<size_t>(n), true);
  }

  static CheckedBlock* RecordOf(const Napi::Value& v) {
    if (!v.IsArrayBuffer()) return nullptr;
    void* rec = nullptr;
    if (napi_unwrap(v.Env(), v, &rec) != napi_ok) return nullptr;
    return static_cast<CheckedBlock*>(rec);
  }

  // freeChecked(buffer) -> 0 | EINVAL. Detaches the buffer: stale views of
  // it have length 0 from now on.
  Napi::Value FreeChecked(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckedBlock* rec = info.Length() >= 1 ? RecordOf(info[0]) : nullptr;
    if (!rec || rec->state != kLive) return Napi::Number::New(env, OFFHEAP_EINVAL);
    int r = offheap_free(rec->addr);
    if (r != 0) return Napi::Number::New(env, r);
    rec->state = kFreed;
    napi_detach_arraybuffer(env, info[0]);
    Unpin(rec->chunk);
    return Napi::Number::New(env, 0);
  }

  // handoff(addr, byteLength) -> tag (> 0) or EINVAL (< 0).
  Napi::Value Handoff(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t a, len;
    if (info.Length() < 2 || !ReadUInt(info[0], &a) || !ReadUInt(info[1], &len) || a == 0)
      return Napi::Number::New(env, OFFHEAP_EINVAL);
    int r = offheap_handoff(Ptr(a));
    if (r != 0) return Napi::Number::New(env, r);
    return Napi::Number::New(env, Tag(a, len));
  }

  // handoffChecked(buffer, byteLength) -> [addr, tag] or EINVAL. Detaches the
  // sender's buffer; its finalizer will not free the block any more.
  Napi::Value HandoffChecked(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t len;
    CheckedBlock* rec = info.Length() >= 2 ? RecordOf(info[0]) : nullptr;
    if (!rec || rec->state != kLive || !ReadUInt(info[1], &len) || len > rec->size)
      return Napi::Number::New(env, OFFHEAP_EINVAL);
    int r = offheap_handoff(rec->addr);
    if (r != 0) return Napi::Number::New(env, r);
    rec->state = kHandedOff;
    napi_detach_arraybuffer(env, info[0]);
    Unpin(rec->chunk);
    uint64_t a = reinterpret_cast<uintptr_t>(rec->addr);
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Number::New(env, Addr(rec->addr)));
    out.Set(1u, Napi::Number::New(env, Tag(a, len)));
    return out;
  }

  bool CheckTag(const Napi::CallbackInfo& info, uint64_t* a, uint64_t* len) {
    double tag;
    if (info.Length() < 3 || !ReadUInt(info[0], a) || !ReadUInt(info[1], len) ||
        *a == 0 || !info[2].IsNumber())
      return false;
    tag = info[2].As<Napi::Number>().DoubleValue();
    return tag == Tag(*a, *len);
  }

  // adopt(addr, byteLength, tag) -> 0 | EINVAL. The caller then exposes the
  // chunk (fast mode).
  Napi::Value Adopt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t a, len;
    if (!CheckTag(info, &a, &len)) return Napi::Number::New(env, OFFHEAP_EINVAL);
    return Napi::Number::New(env, offheap_adopt(Ptr(a)));
  }

  // adoptChecked(addr, byteLength, tag) -> ArrayBuffer | EINVAL.
  Napi::Value AdoptChecked(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t a, len;
    if (!CheckTag(info, &a, &len) || len == 0) return Napi::Number::New(env, OFFHEAP_EINVAL);
    int r = offheap_adopt(Ptr(a));
    if (r != 0) return Napi::Number::New(env, r);
    return MakeChecked(env, Ptr(a), static_cast<size_t>(len), true);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    offheap_stats_t s;
    std::memset(&s, 0, sizeof s);
    if (info.Length() >= 1 && info[0].ToBoolean())
      offheap_global_stats(&s);
    else
      offheap_stats(&s);
    Napi::Object o = Napi::Object::New(env);
    auto num = [&](const char* k, uint64_t v) {
      o.Set(k, Napi::Number::New(env, static_cast<double>(v)));
    };
    num("allocCount", s.alloc_count);
    num("freeCount", s.free_count);
    num("bytesLive", s.bytes_live);
    num("bytesPeak", s.bytes_peak);
    num("slabHits", s.slab_hits);
    num("poolCount", s.pool_count);
    num("swapPoolCount", s.swap_pool_count);
    num("bytesMapped", s.bytes_mapped);
    num("bytesSwap", s.bytes_swap);
    num("hugeCount", s.huge_count);
    num("hugeBytes", s.huge_bytes);
    num("remotePending", s.remote_pending);
    num("remoteFrees", s.remote_frees);
    num("bytesCached", s.bytes_cached);
    num("heapsLive", s.heaps_live);
    num("heapsPending", s.heaps_pending);
    Napi::Array by = Napi::Array::New(env, OFFHEAP_ORDER_COUNT);
    for (uint32_t i = 0; i < OFFHEAP_ORDER_COUNT; i++)
      by.Set(i, Napi::Number::New(env, static_cast<double>(s.live_by_order[i])));
    o.Set("liveByOrder", by);
    return o;
  }

  Napi::Value Gc(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    offheap_gc_report_t r;
    std::memset(&r, 0, sizeof r);
    offheap_gc_ex(&r);
    Napi::Object o = Napi::Object::New(env);
    auto num = [&](const char* k, uint64_t v) {
      o.Set(k, Napi::Number::New(env, static_cast<double>(v)));
    };
    num("slabBlocksFlushed", r.slab_blocks_flushed);
    num("remoteDrained", r.remote_drained);
    num("heapsAdopted", r.heaps_adopted);
    num("bytesReleased", r.bytes_released);
    num("bytesUnmapped", r.bytes_unmapped);
    num("poolsUnmapped", r.pools_unmapped);
    num("hugeUnmapped", r.huge_unmapped);
    return o;
  }

  // configure(set, swapDir, swapPolicy, slabBudget, hugeCacheBytes,
  // retainBytes) -> 0 | EINVAL. The facade validates types; fields whose bit
  // is not in `set` are ignored.
  Napi::Value Configure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    offheap_config_t c;
    std::memset(&c, 0, sizeof c);
    uint64_t set = 0, policy = 0, slab = 0, huge = 0, retain = 0;
    if (info.Length() < 6 || !ReadUInt(info[0], &set) || set > 0xffffffffu)
      return Napi::Number::New(env, OFFHEAP_EINVAL);
    c.set = static_cast<unsigned>(set);
    std::string dir;
    if (c.set & OFFHEAP_CFG_SWAP_DIR) {
      if (!info[1].IsString()) return Napi::Number::New(env, OFFHEAP_EINVAL);
      dir = info[1].As<Napi::String>().Utf8Value();
      if (std::strlen(dir.c_str()) != dir.size()) return Napi::Number::New(env, OFFHEAP_EINVAL);
      c.swap_dir = dir.c_str();
    }
    if ((c.set & OFFHEAP_CFG_SWAP_POLICY) && !ReadUInt(info[2], &policy))
      return Napi::Number::New(env, OFFHEAP_EINVAL);
    if ((c.set & OFFHEAP_CFG_SLAB_BUDGET) && !ReadUInt(info[3], &slab))
      return Napi::Number::New(env, OFFHEAP_EINVAL);
    if ((c.set & OFFHEAP_CFG_HUGE_CACHE_BYTES) && !ReadUInt(info[4], &huge))
      return Napi::Number::New(env, OFFHEAP_EINVAL);
    if ((c.set & OFFHEAP_CFG_RETAIN_BYTES) && !ReadUInt(info[5], &retain))
      return Napi::Number::New(env, OFFHEAP_EINVAL);
    c.swap_policy = static_cast<int>(policy);
    c.slab_budget = static_cast<size_t>(slab);
    c.huge_cache_bytes = static_cast<size_t>(huge);
    c.retain_bytes = static_cast<size_t>(retain);
    return Napi::Number::New(env, offheap_configure(&c));
  }

  Napi::Value GetConfig(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    offheap_config_t c;
    std::memset(&c, 0, sizeof c);
    offheap_get_config(&c);
    Napi::Object o = Napi::Object::New(env);
    o.Set("swapDir", c.swap_dir ? Napi::Value(Napi::String::New(env, c.swap_dir)) : env.Null());
    o.Set("swapPolicy", Napi::Number::New(env, c.swap_policy));
    o.Set("slabBudget", Napi::Number::New(env, static_cast<double>(c.slab_budget)));
    o.Set("hugeCacheBytes", Napi::Number::New(env, static_cast<double>(c.huge_cache_bytes)));
    o.Set("retainBytes", Napi::Number::New(env, static_cast<double>(c.retain_bytes)));
    return o;
  }

  Napi::Value PinCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(g_pins.load()));
  }

  Napi::Value ThreadDetach(const Napi::CallbackInfo& info) {
    offheap_thread_detach();
    return info.Env().Undefined();
  }
};

}  // namespace

NODE_API_ADDON(OffheapAddon)
