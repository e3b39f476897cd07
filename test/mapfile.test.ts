// mapFile (issue 13): files mapped as one offheap block. Every test checks
// what the kernel sees: /proc/self/maps for the mapping, /proc/self/fd for
// descriptors (both filtered by this file's own paths, since the threads
// pool shares the process with other test files).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DIST, NODE_MAJOR, collectGarbage, expectOffheapError, oh } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'offheap-mapfile-'));
chmodSync(dir, 0o755); // children running as nobody look inside
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
/** A new file holding `bytes` (random by default). */
function file(bytes: number | Uint8Array = 3 * 4096 + 123): string {
  const p = join(dir, `f${serial++}.bin`);
  const data = typeof bytes === 'number' ? Uint8Array.from({ length: bytes }, (_, i) => (i * 131 + 7) & 0xff) : bytes;
  writeFileSync(p, data);
  return p;
}

/** Mappings of `path` in this process. */
function mapped(path: string): number {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.endsWith(` ${path}`) || l.endsWith(` ${path} (deleted)`)).length;
}

/** Descriptors of this process open on `path`. */
function fdsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

function thrown(fn: () => unknown): Error & { code?: string; syscall?: string; path?: string; errno?: number } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error');
}

/** Runs a CommonJS script in a child process; `oh` is the package under test. */
function child(script: string, opts: { uid?: number; shell?: string; timeout?: number } = {}) {
  // The package loads first, then privileges drop: the checkout may sit in a
  // directory the other user cannot enter (a clean clone under mktemp -d).
  const load = `const oh = require(${JSON.stringify(DIST)});`;
  const code = `${load}\n${opts.uid === undefined ? '' : `process.setuid(${opts.uid});\n`}${script}`;
  const args = opts.shell
    ? ['/bin/sh', ['-c', `${opts.shell}; exec "$0" -e "$1"`, process.execPath, code]]
    : [process.execPath, ['-e', code]];
  return spawnSync(args[0] as string, args[1] as string[], { encoding: 'utf8', timeout: opts.timeout ?? 60_000 });
}

function lastJson(out: string): Record<string, unknown> {
  return JSON.parse(out.trim().split('\n').pop()!);
}

afterEach(() => oh.configure({ checked: false }));

describe('mapFile: contents and modes', () => {
  for (const mode of ['read', 'copy', 'write'] as const) {
    it(`'${mode}': the view is exactly the file, over its own buffer`, () => {
      for (const size of [1, 4096, 3 * 4096 + 123, 1 << 20]) {
        const p = file(size);
        const want = readFileSync(p);
        const v = oh.mapFile(p, { mode });
        expect(v).toBeInstanceOf(Uint8Array);
        expect(v.length).toBe(size);
        expect(v.byteOffset).toBe(0);
        expect(v.buffer.byteLength).toBe(size);
        expect(Buffer.from(v.buffer, 0, size).equals(want)).toBe(true);
        expect(mapped(p)).toBe(1);
        expect(fdsOn(p)).toBe(0); // the descriptor is closed before mapFile returns
        oh.free(v);
        expect(mapped(p)).toBe(0);
      }
    });
  }

  it("the default mode is 'read', also for {} and { mode: undefined }", () => {
    for (const opts of [undefined, {}, { mode: undefined }]) {
      const p = file();
      const before = readFileSync(p);
      const v = oh.mapFile(p, opts);
      v.fill(0xee);
      oh.free(v);
      expect(readFileSync(p).equals(before)).toBe(true);
    }
  });

  it("'write': writes reach the file, and another mapping sees them at once", () => {
    const p = file();
    const w = oh.mapFile(p, { mode: 'write' });
    const r = oh.mapFile(p); // private, but shares unwritten pages with the file
    w[0] = 0xab;
    w[w.length - 1] = 0xcd;
    w.fill(0x5a, 5000, 6000);
    expect(r[0]).toBe(0xab);
    expect(r[5500]).toBe(0x5a);
    oh.free(w);
    oh.free(r);
    const back = readFileSync(p);
    expect(back[0]).toBe(0xab);
    expect(back[back.length - 1]).toBe(0xcd);
    expect(back.subarray(5000, 6000).every((b) => b === 0x5a)).toBe(true);
    expect(back[4999]).toBe((4999 * 131 + 7) & 0xff);
  });

  for (const mode of ['read', 'copy'] as const) {
    it(`'${mode}': writes stay in this mapping and never reach the file`, () => {
      const p = file();
      const before = readFileSync(p);
      const a = oh.mapFile(p, { mode });
      const b = oh.mapFile(p, { mode });
      a.fill(0x11);
      expect(a[100]).toBe(0x11);
      expect(b[100]).toBe(before[100]); // another private mapping does not see it
      oh.free(a);
      oh.free(b);
      expect(readFileSync(p).equals(before)).toBe(true);
    });
  }

  it('paths: string, relative, Buffer, Uint8Array and file: URL', () => {
    const p = file(5000);
    const want = readFileSync(p);
    const rel = join('.', p.slice(process.cwd().length + 1));
    const paths: Array<string | Uint8Array | URL> = [p, Buffer.from(p), new TextEncoder().encode(p), pathToFileURL(p)];
    if (p.startsWith(`${process.cwd()}/`)) paths.push(rel);
    for (const path of paths) {
      const v = oh.mapFile(path);
      expect(Buffer.from(v).equals(want)).toBe(true);
      oh.free(v);
    }
    expect(mapped(p)).toBe(0);
  });

  it('stats: a mapping is not heap memory (bytesLive, hugeCount and bytesMapped unchanged)', () => {
    const p = file(Buffer.alloc(40 << 20, 1)); // larger than a pool block: would show as huge if counted
    const s0 = oh.stats();
    const v = oh.mapFile(p);
    const s1 = oh.stats();
    oh.free(v);
    const s2 = oh.stats();
    for (const s of [s1, s2]) {
      expect(s.bytesLive).toBe(s0.bytesLive);
      expect(s.hugeCount).toBe(s0.hugeCount);
      expect(s.bytesMapped).toBe(s0.bytesMapped);
    }
  });
});

describe('mapFile: errors leave nothing mapped and no descriptor open', () => {
  it('missing file: ENOENT from open (Node error shape)', () => {
    const p = join(dir, 'missing.bin');
    for (const mode of ['read', 'copy', 'write'] as const) {
      const e = thrown(() => oh.mapFile(p, { mode }));
      expect(e.code).toBe('ENOENT');
      expect(e.syscall).toBe('open');
      expect(e.path).toBe(p);
    }
  });

  it('directory: EISDIR in every mode (read-only open of a directory succeeds: fstat catches it)', () => {
    const d = join(dir, `d${serial++}`);
    mkdirSync(d);
    for (const mode of ['read', 'copy', 'write'] as const) {
      const e = thrown(() => oh.mapFile(d, { mode }));
      expect(e.code).toBe('EISDIR');
      expect(typeof e.errno).toBe('number');
      expect(e.path).toBe(d);
      expect(e.message).toContain('EISDIR');
      expect(fdsOn(d)).toBe(0);
    }
  });

  it('empty file: OffheapError ERR_OFFHEAP_EMPTY_FILE', () => {
    const p = file(0);
    for (const mode of ['read', 'copy', 'write'] as const) {
      expectOffheapError(() => oh.mapFile(p, { mode }), 'ERR_OFFHEAP_EMPTY_FILE');
      expect(fdsOn(p)).toBe(0);
    }
  });

  it('not a regular file: /dev/null and a FIFO are ENODEV, and opening a FIFO does not hang', () => {
    const fifo = join(dir, `fifo${serial++}`);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // in a child with a timeout: a blocking open would hang this thread for good
    const r = child(
      `const out = [];
       for (const p of ['/dev/null', ${JSON.stringify(fifo)}]) for (const mode of ['read', 'write']) {
         try { oh.mapFile(p, { mode }); out.push('mapped'); } catch (e) { out.push(e.code); }
       }
       console.log(JSON.stringify({ out }));`,
      { timeout: 20_000 },
    );
    expect(r.signal, 'mapFile of a FIFO hung').toBe(null);
    expect(r.status, r.stderr).toBe(0);
    expect(lastJson(r.stdout).out).toEqual(['ENODEV', 'ENODEV', 'ENODEV', 'ENODEV']);
  });

  it('no permission: EACCES for a non-root user (file mode, directory search, write mode on a read-only file)', () => {
    const p600 = file();
    chmodSync(p600, 0o600);
    const closed = join(dir, `closed${serial++}`);
    mkdirSync(closed, { mode: 0o700 });
    const inClosed = join(closed, 'x.bin');
    writeFileSync(inClosed, 'abc');
    chmodSync(inClosed, 0o644);
    const p644 = file();
    chmodSync(p644, 0o644);
    const r = child(
      `const fs = require('fs');
       const maps = (p) => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.endsWith(' ' + p)).length;
       const fds = () => fs.readdirSync('/proc/self/fd').length;
       const fd0 = fds();
       const res = {};
       const tries = { p600: [${JSON.stringify(p600)}, 'read'], closed: [${JSON.stringify(inClosed)}, 'read'],
                       w644: [${JSON.stringify(p644)}, 'write'], c644: [${JSON.stringify(p644)}, 'copy'] };
       for (const [k, [p, mode]] of Object.entries(tries)) {
         try { const v = oh.mapFile(p, { mode }); res[k] = 'mapped:' + v.length; oh.free(v); }
         catch (e) { res[k] = e.code + ':' + e.syscall + ':' + maps(p); }
       }
       res.uid = process.getuid();
       res.fdsLeaked = fds() - fd0;
       console.log(JSON.stringify(res));`,
      { uid: 65534 },
    );
    expect(r.status, r.stderr).toBe(0);
    const res = lastJson(r.stdout);
    expect(res.uid).toBe(65534);
    expect(res.p600).toBe('EACCES:open:0');
    expect(res.closed).toBe('EACCES:open:0');
    expect(res.w644).toBe('EACCES:open:0'); // 'write' opens read-write
    expect(res.c644).toBe(`mapped:${3 * 4096 + 123}`); // 'copy' needs read permission only
    expect(res.fdsLeaked).toBe(0);
  });

  it('bad path: TypeError ERR_INVALID_ARG_TYPE (lookalike URLs too); non-file URL and NUL bytes: Node codes', () => {
    const p = file();
    const bad: unknown[] = [undefined, null, 42, 42n, true, Symbol('p'), {}, [p], () => p, { href: pathToFileURL(p).href, protocol: 'file:' },
      new Uint16Array(4), new DataView(new ArrayBuffer(4)), { toString: () => p }];
    for (const b of bad) {
      const e = thrown(() => oh.mapFile(b as string));
      expect(e).toBeInstanceOf(TypeError);
      expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
    }
    expect(thrown(() => oh.mapFile(new URL('https://example.com/x'))).code).toBe('ERR_INVALID_URL_SCHEME');
    expect(thrown(() => oh.mapFile(`${p}\0x`)).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(thrown(() => oh.mapFile('')).code).toBe('ENOENT');
    expect(fdsOn(p)).toBe(0);
    expect(mapped(p)).toBe(0);
  });

  it('bad options: wrong type, unknown option, unknown mode; checked before the file is opened', () => {
    const p = file();
    for (const o of [null, 5, 'read', true, [], () => ({})]) {
      const e = thrown(() => oh.mapFile(p, o as never));
      expect(e).toBeInstanceOf(TypeError);
      expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
    }
    expect(thrown(() => oh.mapFile(p, { mod: 'write' } as never)).code).toBe('ERR_INVALID_ARG_VALUE');
    for (const mode of [1, null, true, {}, Symbol('write')]) {
      const e = thrown(() => oh.mapFile(p, { mode } as never));
      expect(e).toBeInstanceOf(TypeError);
      expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
    }
    for (const mode of ['', 'READ', 'rw', 'write ', 'r']) {
      const e = thrown(() => oh.mapFile(p, { mode } as never));
      expect(e).toBeInstanceOf(RangeError);
      expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    }
    // option errors win over file errors: nothing was opened
    expect(thrown(() => oh.mapFile(join(dir, 'missing'), { mode: 'x' } as never)).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(mapped(p)).toBe(0);
  });

  it("options are read once, as own properties: a polluted prototype, a lying getter or Proxy cannot make it 'write'", () => {
    const p = file();
    const before = readFileSync(p);
    const scribble = (v: Uint8Array) => {
      v.fill(0x77);
      oh.free(v);
      expect(readFileSync(p).equals(before)).toBe(true);
    };
    const proto = Object.prototype as { mode?: string };
    proto.mode = 'write';
    try {
      scribble(oh.mapFile(p));
      scribble(oh.mapFile(p, {}));
    } finally {
      delete proto.mode;
    }
    let reads = 0;
    const getter = {
      get mode() {
        reads++;
        return reads === 1 ? 'read' : 'write';
      },
    };
    scribble(oh.mapFile(p, getter as never));
    expect(reads).toBe(1);
    let gets = 0;
    const proxy = new Proxy({ mode: 'read' }, {
      get(t, k, r) {
        if (k === 'mode') return ++gets === 1 ? 'read' : 'write';
        return Reflect.get(t, k, r);
      },
    });
    scribble(oh.mapFile(p, proxy as never));
    expect(gets).toBe(1);
    const hostile = new Proxy({}, {
      ownKeys() {
        throw new Error('trap');
      },
    });
    expect(thrown(() => oh.mapFile(p, hostile as never)).message).toBe('trap');
    expect(fdsOn(p)).toBe(0);
    expect(mapped(p)).toBe(0);
  });

  it('a file larger than one view can be (Node 20: over 4 GiB) is a RangeError before anything is mapped; Node >= 22 maps it', () => {
    const size = 2 ** 32 + 3 * 4096 + 5; // sparse: costs no disk
    const p = join(dir, `big${serial++}.bin`);
    const fd = openSync(p, 'w');
    try {
      ftruncateSync(fd, size);
      writeSync(fd, Buffer.from([0x42]), 0, 1, 2 ** 32);
      writeSync(fd, Buffer.from([0x99]), 0, 1, size - 1);
    } finally {
      closeSync(fd);
    }
    if (NODE_MAJOR < 22) {
      const e = thrown(() => oh.mapFile(p));
      expect(e).toBeInstanceOf(RangeError);
      expect(e.code).toBe('ERR_OUT_OF_RANGE');
      expect(e.message).toContain('MAX_LENGTH');
      expect(e.message).toContain(String(size));
      expect(mapped(p)).toBe(0);
      expect(fdsOn(p)).toBe(0);
    } else {
      const v = oh.mapFile(p);
      expect(v.length).toBe(size);
      expect(v[2 ** 32]).toBe(0x42);
      expect(v[size - 1]).toBe(0x99);
      expect(v[size - 2]).toBe(0);
      expect(mapped(p)).toBe(1);
      oh.free(v);
      expect(mapped(p)).toBe(0);
    }
    rmSync(p);
  });
});

describe('mapFile: free and lifetime', () => {
  for (const checked of [false, true]) {
    const label = checked ? 'checked' : 'fast';
    it(`${label} mode: free unmaps at once and detaches every view; a second free is ERR_OFFHEAP_INVALID_FREE`, () => {
      oh.configure({ checked });
      const p = file();
      const v = oh.mapFile(p);
      const sub = v.subarray(100);
      const dv = new DataView(v.buffer);
      expectOffheapError(() => oh.free(sub), 'ERR_OFFHEAP_INVALID_FREE'); // not the block start
      expect(mapped(p)).toBe(1);
      oh.free(dv); // any view at offset 0
      expect(mapped(p)).toBe(0);
      expect([v.length, sub.length, v.buffer.byteLength]).toEqual([0, 0, 0]);
      expect(v[0]).toBe(undefined);
      expectOffheapError(() => oh.free(v), 'ERR_OFFHEAP_INVALID_FREE');
      expectOffheapError(() => oh.free(dv), 'ERR_OFFHEAP_INVALID_FREE');
    });
  }

  it('a mapping nothing references is unmapped when V8 collects it', async () => {
    const p = file();
    (() => {
      const v = oh.mapFile(p);
      expect(v[0]).toBe(7);
    })();
    expect(mapped(p)).toBe(1);
    await collectGarbage();
    expect(mapped(p)).toBe(0);
  });

  it.runIf(NODE_MAJOR >= 22)('transfer(): the moved buffer owns the mapping; free of the old view is ERR_OFFHEAP_DETACHED', async () => {
    const p = file();
    await (async () => {
      const v = oh.mapFile(p);
      const moved = (v.buffer as ArrayBuffer & { transfer(): ArrayBuffer }).transfer();
      expectOffheapError(() => oh.free(v), 'ERR_OFFHEAP_DETACHED');
      expect(new Uint8Array(moved)[1]).toBe((131 + 7) & 0xff);
      expect(mapped(p)).toBe(1);
    })();
    await collectGarbage();
    expect(mapped(p)).toBe(0);
  });

  it('views kept after free never crash the process: they read nothing (child process)', () => {
    const p = file();
    const r = child(
      `const v = oh.mapFile(${JSON.stringify(p)}, { mode: 'copy' });
       const views = [v, v.subarray(5000), new Float64Array(v.buffer, 0, 8), Buffer.from(v.buffer)];
       v[5000] = 1;
       oh.free(v);
       let sum = 0, n = 0;
       for (const x of views) { for (let i = 0; i < 16; i++) { x[i] = 3; sum += x[i] ?? 0; } n += x.length; }
       console.log(JSON.stringify({ sum, n, first: v[0] }));`,
    );
    expect(r.signal, r.stderr).toBe(null);
    expect(r.status, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toEqual({ sum: 0, n: 0 });
  });

  it('adopted in fast mode (same thread): free keeps the pinned mapping readable until its buffer is collected, then it is unmapped', async () => {
    const p = file();
    const v = oh.mapFile(p);
    const h = oh.handleOf(v);
    expect(v.length).toBe(0); // the sender's buffer is detached
    expect(mapped(p)).toBe(1);
    await (async () => {
      const a = oh.adopt(h);
      expect(a.length).toBe(3 * 4096 + 123);
      oh.free(a);
      expectOffheapError(() => oh.free(a), 'ERR_OFFHEAP_INVALID_FREE');
      expect(a[4096]).toBe((4096 * 131 + 7) & 0xff); // still mapped: a buffer shows it
      expect(mapped(p)).toBe(1);
    })();
    await collectGarbage();
    expect(mapped(p)).toBe(0);
  });

  it('adopted in checked mode: free unmaps at once; a replayed handle is refused', () => {
    const p = file();
    const h = oh.handleOf(oh.mapFile(p));
    oh.configure({ checked: true });
    const a = oh.adopt(h, Uint8Array);
    expect(a[1]).toBe((131 + 7) & 0xff);
    expectOffheapError(() => oh.adopt(h), 'ERR_OFFHEAP_INVALID_HANDLE');
    oh.free(a);
    expect(a.length).toBe(0);
    expect(mapped(p)).toBe(0);
  });

  it('a mapping handed to a worker is summed and freed there; a worker mapping comes back to this thread', async () => {
    const p = file(1 << 20);
    const want = readFileSync(p).reduce((s, b) => s + b, 0);
    const w = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const oh = require(workerData.dist);
       parentPort.on('message', (m) => {
         if (m.handle) {
           const v = oh.adopt(m.handle);
           let sum = 0;
           for (let i = 0; i < v.length; i++) sum += v[i];
           oh.free(v);
           parentPort.postMessage({ sum, length: v.length });
         } else {
           const v = oh.mapFile(m.path, { mode: 'write' });
           v[0] = 0xfe;
           parentPort.postMessage({ back: oh.handleOf(v) });
         }
       });`,
      { eval: true, workerData: { dist: DIST } },
    );
    const next = () => new Promise<Record<string, unknown>>((res, rej) => { w.once('message', res); w.once('error', rej); });
    try {
      const v = oh.mapFile(p);
      w.postMessage({ handle: oh.handleOf(v) });
      const m = await next();
      expect(m).toEqual({ sum: want, length: 1 << 20 });
      w.postMessage({ path: p });
      const back = (await next()).back as Parameters<typeof oh.adopt>[0];
      oh.configure({ checked: true });
      const b = oh.adopt(back);
      expect(b[0]).toBe(0xfe);
      expect(b.length).toBe(1 << 20);
      oh.free(b);
      expect(readFileSync(p)[0]).toBe(0xfe);
    } finally {
      await w.terminate();
    }
    await collectGarbage();
    expect(mapped(p)).toBe(0); // the worker's fast view went with its thread
  });

  it('thousands of maps and frees under ulimit -n 64 never leak a descriptor or a mapping (child process)', () => {
    const ps = [file(1), file(4096), file(100_000)];
    const empty = file(0);
    const r = child(
      `const fs = require('fs');
       const ps = ${JSON.stringify(ps)};
       const fds = () => fs.readdirSync('/proc/self/fd').length;
       const fd0 = fds();
       let ok = 0, errs = 0;
       for (let i = 0; i < 3000; i++) {
         const v = oh.mapFile(ps[i % 3], { mode: ['read', 'copy', 'write'][i % 3] });
         if (v[0] === (7 & 0xff)) ok++;
         oh.free(v);
         for (const bad of [${JSON.stringify(join(dir, 'missing'))}, ${JSON.stringify(dir)}, ${JSON.stringify(empty)}]) {
           try { oh.mapFile(bad); } catch (e) { errs++; }
         }
       }
       const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => ps.some((p) => l.endsWith(' ' + p))).length;
       console.log(JSON.stringify({ ok, errs, leaked: fds() - fd0, maps }));`,
      { shell: 'ulimit -n 64' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toEqual({ ok: 3000, errs: 9000, leaked: 0, maps: 0 });
  });
});

describe('mapFile: a file changed while mapped', () => {
  it('a file replaced by rename keeps the mapping on the old contents (no SIGBUS)', () => {
    const p = file(3 * 4096);
    const v = oh.mapFile(p);
    const tmp = `${p}.new`;
    writeFileSync(tmp, 'x');
    renameSync(tmp, p);
    expect(v[3 * 4096 - 1]).toBe(((3 * 4096 - 1) * 131 + 7) & 0xff);
    const deleted = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(` ${p} (deleted)`)).length;
    expect(deleted()).toBe(1); // the old file, unlinked, still mapped
    oh.free(v);
    expect(deleted()).toBe(0);
    expect(readFileSync(p, 'utf8')).toBe('x');
  });


  // Linux drops every page past the new end, private copies included
  // (truncate unmaps even COWed pages): touching one is SIGBUS in every mode.
  for (const [mode, writeFirst] of [['read', false], ['copy', false], ['copy', true], ['write', false], ['write', true]] as const) {
    it(`'${mode}'${writeFirst ? ' (page written before)' : ''}: a page past the new end is SIGBUS; pages before it still read (child process)`, () => {
      const p = file(3 * 4096);
      const r = child(
        `const { execFileSync } = require('child_process');
         const v = oh.mapFile(${JSON.stringify(p)}, { mode: '${mode}' });
         if (${writeFirst}) v[5000] = 9;
         execFileSync('truncate', ['-s', '4096', ${JSON.stringify(p)}]); // another process
         console.log('page0 ' + v[4095]);
         console.log('page1 ' + v[5000]);`,
      );
      expect(r.stdout).toContain(`page0 ${(4095 * 131 + 7) & 0xff}`);
      expect(r.stdout).not.toContain('page1');
      expect(r.signal).toBe('SIGBUS');
    });
  }
});
