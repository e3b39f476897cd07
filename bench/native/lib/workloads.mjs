// The native suite's workloads. Three kinds:
//   harness  bench/native/harness.c, one executable per contender (calls the
//            allocator's API directly); `fit` is one of them
//   program  a real program (sqlite3, node, python3) run by bench_runner under
//            each allocator's LD_PRELOAD; its stdout must equal glibc's
//   server   a clean-room server-style C program (bench/native/server/) run
//            by bench_runner under each allocator's LD_PRELOAD
// Each workload says how its result is read: `metric` is the number that
// ranks the contenders (lower or higher is better), always with peak RSS;
// `short` is the chart label when the title is too long.
import path from 'node:path';
import { BENCH_DIR } from '../../lib/common.mjs';

const PROGRAMS = path.join(BENCH_DIR, 'native', 'programs');

export const SQLITE = '/usr/bin/sqlite3';
export const PYTHON = '/usr/bin/python3';

const nsPerOp = { key: 'ns_per_op', label: 'ns/op', better: 'lower' };
const wallTime = { key: 'wall_s', label: 'time s', better: 'lower' };

export const WORKLOADS = {
  // ---- harness.c (direct API calls) ----
  small: { kind: 'harness', title: 'churn 16-4096 B', desc: 'same thread, 10k live slots, free random slot + alloc random 16..4096 B + write 1 byte', ops: 10_000_000, quick: 200_000, metric: nsPerOp },
  large: { kind: 'harness', title: 'churn 16 B-1 MiB', desc: 'same thread, 10k live slots, free random slot + alloc random 16 B..1 MiB + write 1 byte', ops: 1_000_000, quick: 20_000, metric: nsPerOp },
  prodcons: { kind: 'harness', title: 'producer/consumer', desc: '1 producer allocates 16..4096 B and pushes through a 4096-entry SPSC ring, 1 consumer frees (100% cross-thread frees); runs 3 s, RSS sampled every 10 ms', ops: 1e12, quick: 200_000, maxSeconds: 3, quickMaxSeconds: 0.5, metric: nsPerOp },
  threads: { kind: 'harness', title: 'thread churn', desc: 'rounds of 4 short-lived threads, 5,000 ops each: alloc 16..4096 B, swap into a shared 10k-slot array, free the block found there (allocated by another, mostly exited, thread)', ops: 4_000_000, quick: 100_000, metric: nsPerOp },
  fit: { kind: 'harness', title: 'memory fit', desc: '1,000 live blocks, a random one replaced per op, 200k ops per size distribution (deterministic: 1 repetition); request-weighted usable bytes / requested bytes (offheap_usable_size, mi_usable_size, malloc_usable_size)', ops: 200_000, quick: 20_000, reps: 1 },

  // ---- real programs under LD_PRELOAD ----
  sqlite: {
    kind: 'program', title: 'sqlite3', metric: wallTime,
    desc: 'sqlite3 :memory: (Debian /usr/bin/sqlite3): 600k rows with text and blobs, 3 secondary indexes, scans, sorts, group-by, a self-join, an update and a delete (bench/native/programs/sqlite.sql)',
    program: SQLITE,
    args: (quick) => [':memory:', '-cmd', `CREATE TEMP TABLE p AS SELECT ${quick ? 20_000 : 600_000} AS n`, `.read ${path.join(PROGRAMS, 'sqlite.sql')}`],
  },
  node: {
    kind: 'program', title: 'node', metric: wallTime,
    desc: 'the node running the driver: JSON.stringify/parse of 100k-record object graphs, then 250k Buffers (4 KiB + header, to 64 KiB) and Float64Arrays in a 4,096-slot churning window, then 1-16 MiB typed arrays (bench/native/programs/node.mjs)',
    program: process.execPath,
    args: (quick) => [path.join(PROGRAMS, 'node.mjs'), quick ? '0.02' : '1'],
  },
  python: {
    kind: 'program', title: 'python3', metric: wallTime,
    desc: '/usr/bin/python3 with PYTHONMALLOC=malloc (every object through the allocator under test): 160k dicts, lists of small class instances, strings, trees and tuples replacing each other in a 60k-slot working set, plus a growing index dict (bench/native/programs/python.py)',
    program: PYTHON,
    env: ['PYTHONMALLOC=malloc'],
    args: (quick) => [path.join(PROGRAMS, 'python.py'), quick ? '0.02' : '1'],
  },

  // ---- clean-room server-style programs under LD_PRELOAD ----
  larson: {
    kind: 'server', title: 'larson', exe: 'bench_larson',
    metric: { key: 'mops', label: 'Mops/s', better: 'higher' },
    desc: 'server churn, bleeding threads: each thread frees a random slot of its 5,000-block window and allocates 16-1000 B there; after 10,000 ops a new thread inherits the window; 3 s, throughput = malloc+free pairs/s (bench/native/server/larson.c)',
    args: (quick, threads) => ['--threads', String(threads), '--seconds', quick ? '0.3' : '3'],
  },
  mstress: {
    kind: 'server', title: 'mstress', exe: 'bench_mstress',
    metric: { key: 'seconds', label: 'time s', better: 'lower' },
    desc: 'mstress-style: 10 phases of fresh threads with unequal loads (12M ops in all); power-of-two sizes 16 B-256 KiB; 70% freed by the same thread, 25% migrate through a shared array, 5% long-lived across phases (bench/native/server/mstress.c)',
    args: (quick, threads) => ['--threads', String(threads), '--rounds', quick ? '3' : '10', '--ops', String(Math.round((quick ? 40_000 : 1_200_000) / threads))],
  },
  mstress8: {
    kind: 'server', title: 'mstress 8 threads', short: 'mstress 8 thr.', exe: 'bench_mstress', fixedThreads: 8,
    metric: { key: 'seconds', label: 'time s', better: 'lower' },
    desc: 'the same with 8 threads per phase on this machine\'s cores (6M ops in all)',
    args: (quick) => ['--threads', '8', '--rounds', quick ? '3' : '10', '--ops', quick ? '5000' : '75000'],
  },
  xmalloc: {
    kind: 'server', title: 'xmalloc producer/consumer', short: 'xmalloc', exe: 'bench_xmalloc', trend: true,
    metric: { key: 'mops', label: 'Mfrees/s', better: 'higher' },
    desc: 'xmalloc-style: half the threads only allocate (16 B-64 KiB, each doubling equally likely), the other half only free, batches of 64 through a bounded queue (at most ~2,100 blocks in flight); 3 s, frees/s, RSS sampled every 10 ms (bench/native/server/xmalloc.c)',
    args: (quick, threads) => ['--threads', String(threads % 2 ? threads + 1 : threads), '--seconds', quick ? '0.3' : '3'],
  },
};

export const WORKLOAD_NAMES = Object.keys(WORKLOADS);
