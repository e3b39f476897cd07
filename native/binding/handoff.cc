// Zero-copy hand-off between threads of this process.
//
// handleOf -> handoff: the core marks the block "in transit" and issues a
// ticket (never reused within the process); the binding adds a tag, a keyed
// 53-bit hash of (address, byteLength, ticket) under a per-process random
// secret, so edited or forged handles fail before reaching the core. adopt
// takes the block back only with exactly that ticket, exactly once: a
// replayed handle of a freed block is refused even after its address has
// been reused. The length a handle may show is bounded by the block's size
// as the core reports it, never by what script claims.
#include <unistd.h>

#include <ctime>

#include "binding.h"

namespace offheap_binding {
namespace {

uint64_t g_secret = 0;

inline uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void InitSecret() {
  static const bool done = [] {
    uint64_t s = 0;
    if (getentropy(&s, sizeof s) != 0) s = static_cast<uint64_t>(time(nullptr)) ^ static_cast<uint64_t>(getpid());
    s ^= reinterpret_cast<uintptr_t>(&g_secret);
    g_secret = Mix(s) | 1;
    return true;
  }();
  (void)done;
}

inline double Tag(uint64_t addr, uint64_t len, uint64_t ticket) {
  uint64_t h = Mix(g_secret ^ Mix(addr ^ Mix(len + 0x51ED270B27ull) ^ Mix(ticket ^ 0x7AC3ull)));
  h &= (1ull << 53) - 1;
  return static_cast<double>(h == 0 ? 1 : h);
}

constexpr uint64_t kMaxTicket = (1ull << 53) - 1;

// [ticket, tag] for block p now in transit, or nullptr.
napi_value Ticket(napi_env env, uint64_t a, uint64_t len, uint64_t ticket, bool with_addr) {
  napi_value out;
  if (napi_create_array_with_length(env, with_addr ? 3 : 2, &out) != napi_ok) return nullptr;
  double vals[3] = {static_cast<double>(ticket), Tag(a, len, ticket), Addr(Ptr(a))};
  for (uint32_t i = 0; i < (with_addr ? 3u : 2u); i++) {
    napi_value v = Num(env, vals[i]);
    if (v == nullptr || napi_set_element(env, out, i, v) != napi_ok) return nullptr;
  }
  return out;
}

// handoff(addr, byteLength) -> [ticket, tag], or EINVAL (not a live block
// start, or byteLength is 0 or larger than the block).
napi_value Handoff(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Args(env, info, 2, argv);
  uint64_t a, len, ticket = 0;
  if (!ReadUInt(env, argv[0], &a) || !ReadUInt(env, argv[1], &len) || a == 0 || len == 0 ||
      len > offheap_usable_size(Ptr(a)))
    return Num(env, OFFHEAP_EINVAL);
  int r = offheap_handoff(Ptr(a), &ticket);
  if (r != 0) return Num(env, r);
  if (ticket == 0 || ticket > kMaxTicket) {  // cannot travel as a JS number
    offheap_adopt(Ptr(a), ticket);
    return Num(env, OFFHEAP_EINVAL);
  }
  napi_value out = Ticket(env, a, len, ticket, false);
  if (out == nullptr) offheap_adopt(Ptr(a), ticket);  // take it back: still ours
  return out;
}

// handoffChecked(buffer, byteLength) -> [ticket, tag, addr], or a code.
// Detaches the sender's buffer; its finalizer will not free the block.
napi_value HandoffChecked(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Args(env, info, 2, argv);
  uint64_t len, ticket = 0;
  if (!ReadUInt(env, argv[1], &len)) return Num(env, OFFHEAP_EINVAL);
  int code = 0;
  // An empty length is refused by TakeChecked after the state checks, so a
  // view detached by someone else still reports kDetached.
  size_t need = len == 0 ? SIZE_MAX : static_cast<size_t>(len);
  void* p = TakeChecked(env, argv[0], need, &code);
  if (p == nullptr) return Num(env, code);
  // The buffer is detached: the block is ours alone now.
  int r = offheap_handoff(p, &ticket);
  if (r != 0 || ticket == 0 || ticket > kMaxTicket) {
    if (r == 0) offheap_adopt(p, ticket);
    offheap_free(p);  // nothing can show it any more
    return Num(env, OFFHEAP_EINVAL);
  }
  uint64_t a = reinterpret_cast<uintptr_t>(p);
  napi_value out = Ticket(env, a, len, ticket, true);
  if (out == nullptr) {  // env shutting down: nobody will adopt it
    offheap_adopt(p, ticket);
    offheap_free(p);
  }
  return out;
}

// Checks (addr, byteLength, ticket, tag) and takes the block back.
bool TakeBack(napi_env env, napi_callback_info info, uint64_t* a, uint64_t* len) {
  napi_value argv[4];
  Args(env, info, 4, argv);
  uint64_t ticket;
  double tag;
  if (!ReadUInt(env, argv[0], a) || !ReadUInt(env, argv[1], len) || !ReadUInt(env, argv[2], &ticket) ||
      argv[3] == nullptr || napi_get_value_double(env, argv[3], &tag) != napi_ok)
    return false;
  if (*a == 0 || *len == 0 || ticket == 0 || tag != Tag(*a, *len, ticket)) return false;
  if (*len > offheap_usable_size(Ptr(*a))) return false;
  return offheap_adopt(Ptr(*a), ticket) == 0;
}

// adopt(addr, byteLength, ticket, tag) -> 0 | EINVAL. The caller then
// exposes the chunk (fast mode).
napi_value Adopt(napi_env env, napi_callback_info info) {
  uint64_t a, len;
  return Num(env, TakeBack(env, info, &a, &len) ? 0 : OFFHEAP_EINVAL);
}

// adoptChecked(addr, byteLength, ticket, tag) -> ArrayBuffer | code.
napi_value AdoptChecked(napi_env env, napi_callback_info info) {
  uint64_t a, len;
  if (!TakeBack(env, info, &a, &len)) return Num(env, OFFHEAP_EINVAL);
  int code = 0;
  napi_value ab = MakeChecked(env, Ptr(a), static_cast<size_t>(len), &code);
  if (ab == nullptr) {
    offheap_free(Ptr(a));
    return Num(env, code);
  }
  return ab;
}

}  // namespace

bool InitHandoff(napi_env env, napi_value exports) {
  InitSecret();
  return SetFunction(env, exports, "handoff", Handoff) &&
         SetFunction(env, exports, "handoffChecked", HandoffChecked) &&
         SetFunction(env, exports, "adopt", Adopt) && SetFunction(env, exports, "adoptChecked", AdoptChecked);
}

}  // namespace offheap_binding
