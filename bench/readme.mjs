#!/usr/bin/env node
// Renders the "## Benchmarks" section of docs/benchmarks.md from the latest committed results
// (bench/results/<date>-native.json and <date>-js.json) plus bench/notes.md.
//   node bench/readme.mjs          print the section
//   node bench/readme.mjs --write  replace the text under "## Benchmarks" in docs/benchmarks.md
//                                  (up to the next "## " heading), nothing else
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, ROOT_DIR, machineLine } from './lib/common.mjs';

const RESULTS = path.join(BENCH_DIR, 'results');

function latest(suffix) {
  const files = existsSync(RESULTS) ? readdirSync(RESULTS).filter((f) => f.endsWith(`-${suffix}.json`)).sort() : [];
  if (!files.length) return null;
  const f = files[files.length - 1];
  return { file: `bench/results/${f}`, doc: JSON.parse(readFileSync(path.join(RESULTS, f), 'utf8')) };
}

function targetsMd(doc) {
  return doc.targets.map((t) => `- ${t.status === 'met' ? '**met**' : t.status === 'missed' ? '**missed**' : 'n/a'}: ${t.target} (${t.measured})`).join('\n');
}

const nat = latest('native');
const js = latest('js');
const notesFile = path.join(BENCH_DIR, 'notes.md');
const notes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8').trim() : '';

const out = [];
out.push(`Both suites run each contender in its own process, interleaved (A B C D, A B C D, ...), repeat, and report medians; every ratio compares numbers from the same run. Results: JSON in \`bench/results/<date>-{native,js}.json\`, charts in \`bench/results/{native,js}.svg\`.

\`\`\`sh
npm run bench:native                 # C allocators: offheap vs mimalloc, jemalloc, glibc (about 15 min)
npm run bench:native -- --quick      # under a minute: smoke test (results go to bench/results/quick/)
npm run bench:native -- --workloads small,prodcons --reps 9 --json   # a subset, more repetitions
npm run bench:native -- --workloads sqlite,node,python,larson,mstress,xmalloc --threads 4
npm run bench                        # JS: offheap vs ArrayBuffer / Buffer (about 3-4 min)
npm run bench -- --sizes 64,4k,1m --quick
bash bench/ci-smoke.sh               # both suites with --quick (smoke test: they build and run)
\`\`\`

The native suite needs cmake and a C compiler; mimalloc and jemalloc come from Debian (\`apt-get install libmimalloc-dev libjemalloc-dev\`) and are skipped with a printed reason when missing; the program workloads need \`sqlite3\` and \`python3\` from Debian (a missing one fails the run). It has two ways to put an allocator under a workload:

- **Harness workloads** (\`bench/native/harness.c\`): each contender is its own executable built from the same source (\`-DALLOC_...\`): offheap through \`offheap_alloc\`/\`offheap_free\`, mimalloc through \`mi_malloc\`/\`mi_free\`, jemalloc linked statically into its executable only, glibc plain; all compiled \`-O2 -fno-plt\`.
- **Program and server workloads**: the same unmodified program runs under each allocator through \`LD_PRELOAD\`, as mimalloc-bench does: nothing for glibc, Debian's \`libmimalloc.so.2\` and \`libjemalloc.so.2\`, and \`liboffheap.so\` (the malloc replacement over the core, target \`offheap_malloc\`). \`bench/native/runner.c\` forks and execs each run and reports its wall time and peak RSS (\`wait4\` \`ru_maxrss\`), so the numbers cover the whole process. A program's output must equal glibc's, and each server program checks that \`malloc\` resolved to the preloaded library and that no block was handed out twice or overwritten while live (each block carries a nonce and a check word). A self-test runs first and checks that a broken allocator, a wrong preload, a different output and a crash each fail the run.

The JS suite imports the package by name (the built \`dist/\` and addon) and runs one child process per (contender, size, repetition).`);

const mach = (nat || js)?.doc.machine;
if (mach) {
  out.push(`**Machine:** ${machineLine(mach)}; measured at commit ${mach.git}${mach.git_dirty_core ? ' (with local core changes)' : ''}. This is a shared 2-core VM: repetitions vary by the spread shown, so read ratios, not absolute numbers.`);
}

if (nat) {
  const d = nat.doc;
  out.push(`### Native (\`npm run bench:native\`, ${d.date.slice(0, 10)}, medians of ${d.reps})

Harness workloads: **small** = same-thread churn, 10k live slots, free a random slot + allocate a random 16-4096 B + write 1 byte (1 op = free + alloc); **large** = the same with 16 B-1 MiB; **producer/consumer** = one thread allocates 16-4096 B and passes blocks through a bounded SPSC ring to another that frees them (100% cross-thread frees) for 3 s, RSS sampled every 10 ms (flat = the last quarter of the run is within max(2 MiB, 10%) of the 20-45% window); **thread churn** = rounds of 4 short-lived threads that allocate and swap blocks into a shared 10k-slot array, freeing blocks allocated by other (mostly exited) threads; **memory fit** = how many bytes a block really takes for what was asked (the allocator's usable size over the requested size, weighted by request), for uniform sizes, powers of two, "a power of two plus a header" (the sizes sqlite and node ask for most: 4104, 4112, 4368 B) and small sizes.

Real programs (\`bench/native/programs/\`, run under each allocator with \`LD_PRELOAD\`; time = wall time of the whole process): **sqlite3** = an in-memory database of 600k rows with 3 secondary indexes, queries, an update and a delete; **node** = JSON of big object graphs, then Buffers and Float64Arrays churning in a window; **python3** = object churn (dicts, lists, strings, small class instances) with \`PYTHONMALLOC=malloc\`, so the objects pymalloc would serve from its own arenas reach the allocator under test. Server workloads (\`bench/native/server/\`, clean-room C written from the published descriptions, 2 threads unless \`--threads\`): **larson** = server churn with "bleeding" threads that hand their windows of blocks to successor threads (throughput); **mstress** = phases of fresh threads with unequal loads, power-of-two sizes, blocks that migrate between threads or outlive their phase (time; also with 8 threads); **xmalloc** = threads that only allocate (to 64 KiB) feeding threads that only free (frees/s; RSS must stay flat). These tables compare every contender with mimalloc.

${d.markdown}

Targets:

${targetsMd(d)}

![native benchmark](bench/results/native.svg)

Source: [\`${nat.file}\`](${nat.file})`);
}

if (js) {
  const d = js.doc;
  out.push(`### JavaScript (\`npm run bench\`, ${d.date.slice(0, 10)}, medians of ${d.reps})

Each op allocates, writes one byte per 4 KiB page (at least one) and releases: offheap with \`free()\`, the peers by dropping the reference (the GC reclaims). Fast mode is \`alloc\`/\`free\` (a view into a pooled buffer); checked mode is \`configure({ checked: true })\` (one ArrayBuffer per allocation, detached on free).

${d.markdown}

Targets:

${targetsMd(d)}

![JS benchmark](bench/results/js.svg)

Source: [\`${js.file}\`](${js.file})`);
} else {
  out.push('### JavaScript\n\nNo JS results yet.');
}

const beyond = latest('beyond-ram');
if (beyond?.doc?.result) {
  const r = beyond.doc.result, gib = (b) => (b / 2 ** 30).toFixed(1);
  out.push(`### Beyond RAM (\`bench/native/beyond_ram.c\`)

One \`offheap_alloc\` of ${r.factor}x physical memory (${gib(r.bytes)} GiB on ${gib(r.ram_bytes)} GiB of RAM, no swap): the kernel refuses anonymous memory of that size, so the "auto" swap policy served all of it from an unlinked, preallocated file (${gib(r.file_backed_bytes)} GiB file-backed). Allocation took ${r.alloc_s} s; writing every byte ${r.write_s} s (${r.write_gib_s} GiB/s), reading it all back ${r.read_s} s (${r.read_gib_s} GiB/s) with ${r.mismatched_words} mismatched words; free ${r.free_s} s. On the same machine \`malloc\` of that size returns NULL and \`new ArrayBuffer\` throws \"Array buffer allocation failed\" (heuristic overcommit refuses one anonymous mapping larger than RAM + swap). Machine: ${beyond.doc.machine}. Command: \`${beyond.doc.command}\`.

Source: [\`${beyond.file}\`](${beyond.file})`);
}

if (notes) out.push(`### Notes\n\n${notes}`);

const section = out.join('\n\n') + '\n';

if (process.argv.includes('--write')) {
  const readme = path.join(ROOT_DIR, 'docs', 'benchmarks.md');
  const text = readFileSync(readme, 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^## Benchmarks\s*$/.test(l));
  if (start < 0) {
    console.error('docs/benchmarks.md has no "## Benchmarks" heading; not writing');
    process.exit(1);
  }
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  // links are relative to docs/
  const body = section.trimEnd().replace(/\]\((bench\/[^)]*)\)/g, '](../$1)');
  const next = [...lines.slice(0, start + 1), '', body, '', ...lines.slice(end)].join('\n');
  writeFileSync(readme, next);
  console.error(`docs/benchmarks.md: replaced ${end - start - 1} lines under "## Benchmarks"`);
} else process.stdout.write(section);
