// node workload for bench:native: `node node.mjs <scale>`.
// JSON stringify/parse of big object graphs, Buffers of assorted sizes and
// Float64Arrays kept in a churning window: the V8 heap holds the objects, while
// every Buffer / typed-array backing store and the JSON strings' external
// buffers come from malloc, the allocator under test. Deterministic (own
// PRNG, no time or addresses): prints checksums the driver compares with glibc's.
const scale = Number(process.argv[2] ?? 1);
if (!(scale > 0)) throw new RangeError('scale must be a positive number');

let seed = 0x9e3779b9;
function rand() { // xorshift32
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed;
}

let digest = 0;
const mix = (x) => { digest = (Math.imul(digest ^ (x >>> 0), 0x01000193) + 0x9e3779b9) >>> 0; };

// 1. big object graphs through JSON, several generations (old ones die)
function record(i) {
  const tags = [];
  for (let t = rand() % 6; t > 0; t--) tags.push(`tag-${rand() % 1000}`);
  return { id: i, name: `item-${i}-${(rand() % 1e6).toString(36)}`, price: (rand() % 100000) / 100, tags, nested: { a: rand() % 7, b: [i, i * 2, i * 3], s: 'x'.repeat(rand() % 64) } };
}
const records = Math.round(100_000 * scale);
for (let gen = 0; gen < 2; gen++) {
  const arr = [];
  for (let i = 0; i < records; i++) arr.push(record(i));
  const text = JSON.stringify(arr);
  const back = JSON.parse(text);
  mix(text.length);
  mix(back.length);
  let sum = 0;
  for (const r of back) sum = (sum + r.tags.length + r.nested.b[2] + r.name.length) >>> 0;
  mix(sum);
  // a Buffer copy of the JSON text: one big malloc'd block
  const buf = Buffer.from(text);
  mix(buf.length);
  mix(buf[buf.length >> 1]);
}

// 2. Buffers and Float64Arrays: a window of live blocks, oldest replaced at random
const window = new Array(4096).fill(null);
const steps = Math.round(250_000 * scale);
for (let i = 0; i < steps; i++) {
  const slot = rand() % window.length;
  const r = rand();
  let v;
  switch (r % 4) {
    case 0: v = Buffer.alloc(4096 + 16 + (r >>> 8) % 512); break;          // "a page plus a header"
    case 1: v = Buffer.allocUnsafeSlow(64 + (r >>> 8) % 65536).fill(i & 255); break; // unpooled, to 64 KiB
    case 2: v = new Float64Array(16 + (r >>> 8) % 8192).fill(i); break;    // to 64 KiB of doubles
    default: v = Buffer.from(`payload-${i}-`.repeat(1 + (r >>> 8) % 64)); break;
  }
  const old = window[slot];
  if (old) mix(old.length + (old[old.length - 1] | 0));
  window[slot] = v;
}
// a few big ones: 1-16 MiB typed arrays
for (let i = 0; i < Math.max(1, Math.round(24 * scale)); i++) {
  const f = new Float64Array((1 << 17) + (rand() % (1 << 21)));
  for (let j = 0; j < f.length; j += 4096) f[j] = j;
  mix(f.length);
  mix(f[4096]);
}
console.log(`records ${records} steps ${steps} digest ${digest.toString(16)}`);
