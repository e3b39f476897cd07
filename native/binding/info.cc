// Statistics, gc and configuration.
#include <cstring>
#include <string>

#include "binding.h"

namespace offheap_binding {
namespace {

// stats(processWide) -> HeapStats (the facade's public shape).
napi_value Stats(napi_env env, napi_callback_info info) {
  napi_value arg;
  Args(env, info, 1, &arg);
  bool process_wide = false;
  if (arg != nullptr) napi_get_value_bool(env, arg, &process_wide);
  offheap_stats_t s;
  std::memset(&s, 0, sizeof s);
  if (process_wide)
    offheap_global_stats(&s);
  else
    offheap_stats(&s);
  ObjectBuilder o(env);
  o.Number("allocCount", static_cast<double>(s.alloc_count));
  o.Number("freeCount", static_cast<double>(s.free_count));
  o.Number("bytesLive", static_cast<double>(s.bytes_live));
  o.Number("bytesPeak", static_cast<double>(s.bytes_peak));
  o.Number("slabHits", static_cast<double>(s.slab_hits));
  o.Number("poolCount", static_cast<double>(s.pool_count));
  o.Number("swapPoolCount", static_cast<double>(s.swap_pool_count));
  o.Number("bytesMapped", static_cast<double>(s.bytes_mapped));
  o.Number("bytesSwap", static_cast<double>(s.bytes_swap));
  o.Number("hugeCount", static_cast<double>(s.huge_count));
  o.Number("hugeBytes", static_cast<double>(s.huge_bytes));
  o.Number("remotePending", static_cast<double>(s.remote_pending));
  o.Number("remoteFrees", static_cast<double>(s.remote_frees));
  o.Number("bytesCached", static_cast<double>(s.bytes_cached));
  o.Number("heapsLive", static_cast<double>(s.heaps_live));
  o.Number("heapsPending", static_cast<double>(s.heaps_pending));
  napi_value by;
  bool ok = napi_create_array_with_length(env, OFFHEAP_ORDER_COUNT, &by) == napi_ok;
  for (uint32_t i = 0; ok && i < OFFHEAP_ORDER_COUNT; i++) {
    napi_value v = Num(env, static_cast<double>(s.live_by_order[i]));
    ok = v != nullptr && napi_set_element(env, by, i, v) == napi_ok;
  }
  o.Value("liveByOrder", ok ? by : nullptr);
  return o.Done();
}

napi_value Gc(napi_env env, napi_callback_info) {
  offheap_gc_report_t r;
  std::memset(&r, 0, sizeof r);
  offheap_gc_ex(&r);
  ObjectBuilder o(env);
  o.Number("slabBlocksFlushed", static_cast<double>(r.slab_blocks_flushed));
  o.Number("remoteDrained", static_cast<double>(r.remote_drained));
  o.Number("heapsAdopted", static_cast<double>(r.heaps_adopted));
  o.Number("bytesReleased", static_cast<double>(r.bytes_released));
  o.Number("bytesUnmapped", static_cast<double>(r.bytes_unmapped));
  o.Number("poolsUnmapped", static_cast<double>(r.pools_unmapped));
  o.Number("hugeUnmapped", static_cast<double>(r.huge_unmapped));
  return o.Done();
}

bool ReadString(napi_env env, napi_value v, std::string* out) {
  size_t len = 0;
  if (v == nullptr || napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->assign(len, '\0');
  size_t copied = 0;
  if (napi_get_value_string_utf8(env, v, &(*out)[0], len + 1, &copied) != napi_ok) return false;
  out->resize(copied);
  return std::strlen(out->c_str()) == out->size();  // no embedded NUL
}

// configure(set, swapDir, swapPolicy, slabBudget, hugeCacheBytes,
// retainBytes) -> 0 | EINVAL. The facade validates types; fields whose bit
// is not in `set` are ignored.
napi_value Configure(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Args(env, info, 6, argv);
  offheap_config_t c;
  std::memset(&c, 0, sizeof c);
  uint64_t set = 0, policy = 0, slab = 0, huge = 0, retain = 0;
  if (!ReadUInt(env, argv[0], &set) || set > 0xffffffffu) return Num(env, OFFHEAP_EINVAL);
  c.set = static_cast<unsigned>(set);
  std::string dir;
  if ((c.set & OFFHEAP_CFG_SWAP_DIR) && !ReadString(env, argv[1], &dir)) return Num(env, OFFHEAP_EINVAL);
  if ((c.set & OFFHEAP_CFG_SWAP_POLICY) && !ReadUInt(env, argv[2], &policy)) return Num(env, OFFHEAP_EINVAL);
  if ((c.set & OFFHEAP_CFG_SLAB_BUDGET) && !ReadUInt(env, argv[3], &slab)) return Num(env, OFFHEAP_EINVAL);
  if ((c.set & OFFHEAP_CFG_HUGE_CACHE_BYTES) && !ReadUInt(env, argv[4], &huge)) return Num(env, OFFHEAP_EINVAL);
  if ((c.set & OFFHEAP_CFG_RETAIN_BYTES) && !ReadUInt(env, argv[5], &retain)) return Num(env, OFFHEAP_EINVAL);
  c.swap_dir = (c.set & OFFHEAP_CFG_SWAP_DIR) ? dir.c_str() : nullptr;
  c.swap_policy = static_cast<int>(policy);
  c.slab_budget = static_cast<size_t>(slab);
  c.huge_cache_bytes = static_cast<size_t>(huge);
  c.retain_bytes = static_cast<size_t>(retain);
  return Num(env, offheap_configure(&c));
}

napi_value GetConfig(napi_env env, napi_callback_info) {
  offheap_config_t c;
  std::memset(&c, 0, sizeof c);
  offheap_get_config(&c);
  napi_value dir = nullptr;
  if (c.swap_dir != nullptr)
    napi_create_string_utf8(env, c.swap_dir, NAPI_AUTO_LENGTH, &dir);
  else
    napi_get_null(env, &dir);
  ObjectBuilder o(env);
  o.Value("swapDir", dir);
  o.Number("swapPolicy", c.swap_policy);
  o.Number("slabBudget", static_cast<double>(c.slab_budget));
  o.Number("hugeCacheBytes", static_cast<double>(c.huge_cache_bytes));
  o.Number("retainBytes", static_cast<double>(c.retain_bytes));
  return o.Done();
}

napi_value ThreadDetach(napi_env, napi_callback_info) {
  offheap_thread_detach();
  return nullptr;
}

}  // namespace

bool InitInfo(napi_env env, napi_value exports) {
  return SetFunction(env, exports, "stats", Stats) && SetFunction(env, exports, "gc", Gc) &&
         SetFunction(env, exports, "configure", Configure) && SetFunction(env, exports, "getConfig", GetConfig) &&
         SetFunction(env, exports, "threadDetach", ThreadDetach);
}

}  // namespace offheap_binding
