// node workload for the malloc shim test: JSON round trips, Buffers,
// Float64Arrays and a worker_threads round whose ArrayBuffers are transferred
// back to the main thread (allocated by one thread, freed by another).
// Prints digests that do not depend on the allocator.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');

const hash = (data) => crypto.createHash('sha256').update(data).digest('hex').slice(0, 16);

function work(seed) {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  const rows = [];
  for (let i = 0; i < 30000; i++) {
    next();
    rows.push({ id: i, key: 'k' + (x % 1000000), tags: Array.from({ length: x % 7 }, (_, j) => 't' + j), s: 'x'.repeat(x % 300) });
  }
  const text = JSON.stringify(rows);
  const back = JSON.parse(text);
  back.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id - b.id));
  const bufs = [];
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(16 + (next() % 9000), i & 0xff);
    bufs.push(b, Buffer.from(back[i].key));
  }
  const joined = Buffer.concat(bufs);
  const b64 = Buffer.from(joined.toString('base64'), 'base64');
  const arrays = [];
  for (let i = 0; i < 40; i++) {
    const a = new Float64Array(1000 + (next() % 200000));
    for (let j = 0; j < a.length; j++) a[j] = ((j * 2654435761) % 1000003) / 7;
    a.sort();
    arrays.push(a[a.length >> 1]);
  }
  const big = new Float64Array(4 << 20); // 32 MiB: a huge block
  big.fill(1.5);
  return [hash(text), hash(JSON.stringify(back.slice(0, 100))), hash(b64), joined.length, arrays.reduce((s, v) => s + v, 0), big[big.length - 1]].join(' ');
}

if (isMainThread) {
  console.log('main', work(1));
  const seeds = [2, 3, 4, 5];
  Promise.all(seeds.map((seed) => new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: seed });
    w.once('message', resolve);
    w.once('error', reject);
  }))).then((results) => {
    for (const r of results) console.log('worker', r.seed, r.digest, hash(Buffer.from(r.buffer)));
    console.log('done');
  });
} else {
  const digest = work(workerData);
  const buffer = new Float64Array(1 << 18).fill(workerData).buffer; // handed to the main thread
  parentPort.postMessage({ seed: workerData, digest, buffer }, [buffer]);
}
