// binding.gyp (node-gyp, prebuildify) and CMakeLists.txt (cmake-js, C tests,
// benchmarks) must compile exactly the core sources in native/src/*.c.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const coreSources = readdirSync(join(ROOT, 'native/src'))
  .filter((f) => f.endsWith('.c'))
  .map((f) => `native/src/${f}`)
  .sort();

/** Expands gyp's <!@(command) and <!(command) the way gyp does (cwd = the .gyp file's directory). */
function expandGyp(entry: string): string[] {
  const m = /^<!(@?)\((.*)\)$/s.exec(entry);
  if (!m) return [entry];
  const out = execFileSync('/bin/sh', ['-c', m[2]!], { cwd: ROOT, encoding: 'utf8' }).trim();
  return m[1] ? out.split(/\s+/).filter(Boolean) : [out];
}

describe('build source lists', () => {
  it('native/src holds only the C core: .c sources and the private headers they include, no Node headers', () => {
    // Both build lists take native/src/*.c, so anything else in there (a .cc,
    // .cpp or .S file, a subdirectory) would silently be left out of every build.
    const entries = readdirSync(join(ROOT, 'native/src'), { withFileTypes: true });
    const strays = entries.filter((e) => !e.isFile() || !/\.[ch]$/.test(e.name)).map((e) => e.name);
    expect(strays, 'native/src may hold only .c and .h files').toEqual([]);
    expect(coreSources, 'native/src/*.c').not.toEqual([]);
    const text = new Map(entries.map((e) => [e.name, readFileSync(join(ROOT, 'native/src', e.name), 'utf8')]));
    const includes = (name: string) => [...text.get(name)!.matchAll(/^\s*#\s*include\s*[<"]([^>"]+)[>"]/gm)].map((m) => m[1]!);
    // every private header is used by some core source (directly or through another header)
    const headers = entries.map((e) => e.name).filter((n) => n.endsWith('.h')).sort();
    const reached = new Set<string>();
    const visit = (name: string) => {
      for (const inc of includes(name)) {
        if (text.has(inc) && !reached.has(inc)) {
          reached.add(inc);
          visit(inc);
        }
      }
    };
    for (const c of coreSources) visit(basename(c));
    expect(headers.filter((h) => !reached.has(h)), 'headers in native/src that no core source includes').toEqual([]);
    // the core is plain C: no Node, N-API or V8 headers (those belong in native/binding)
    const nodeHeaders = [...text.keys()].flatMap((n) =>
      includes(n).filter((inc) => /^(node|node_api|js_native_api|napi|uv|v8)(\.h|$)/.test(inc)).map((inc) => `${n}: ${inc}`),
    );
    expect(nodeHeaders).toEqual([]);
  });

  it('binding.gyp compiles exactly native/src/*.c (plus the binding)', () => {
    const gyp = JSON.parse(readFileSync(join(ROOT, 'binding.gyp'), 'utf8'));
    const target = gyp.targets.find((t: { target_name: string }) => t.target_name === 'offheap');
    const sources: string[] = target.sources.flatMap(expandGyp).map((s: string) => relative(ROOT, resolve(ROOT, s)));
    expect(sources.filter((s) => s.endsWith('.c')).sort()).toEqual(coreSources);
    expect(sources.filter((s) => !s.endsWith('.c')).every((s) => s.startsWith('native/binding/'))).toBe(true);
  });

  it('the node-gyp build compiled every core source', () => {
    const objDir = join(ROOT, 'build/Release/obj.target/offheap/native/src');
    expect(existsSync(objDir), 'run npm install / node-gyp rebuild first').toBe(true);
    const objs = readdirSync(objDir).filter((f) => f.endsWith('.o')).map((f) => `native/src/${basename(f, '.o')}.c`).sort();
    expect(objs).toEqual(coreSources);
  });

  it('CMakeLists.txt compiles exactly native/src/*.c into offheap_core (cmake file API)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'offheap-cmake-'));
    try {
      const query = join(dir, '.cmake/api/v1/query');
      mkdirSync(query, { recursive: true });
      writeFileSync(join(query, 'codemodel-v2'), '');
      execFileSync('cmake', ['-S', ROOT, '-B', dir, '-DOFFHEAP_BUILD_TESTS=OFF'], { stdio: 'pipe' });
      const reply = join(dir, '.cmake/api/v1/reply');
      const index = readdirSync(reply).find((f) => f.startsWith('codemodel-v2-'))!;
      const model = JSON.parse(readFileSync(join(reply, index), 'utf8'));
      const ref = model.configurations[0].targets.find((t: { name: string }) => t.name === 'offheap_core');
      expect(ref, 'target offheap_core').toBeDefined();
      const target = JSON.parse(readFileSync(join(reply, ref.jsonFile), 'utf8'));
      const sources = target.sources
        .map((s: { path: string }) => relative(ROOT, resolve(ROOT, s.path)))
        .filter((s: string) => s.endsWith('.c'))
        .sort();
      expect(sources).toEqual(coreSources);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("CMakeLists.txt's cmake-js addon target links the core library and the binding sources", () => {
    const text = readFileSync(join(ROOT, 'CMakeLists.txt'), 'utf8');
    const section = text.slice(text.indexOf('Node addon through cmake-js'));
    expect(section).toMatch(/if\(CMAKE_JS_VERSION\)/);
    expect(section).toMatch(/native\/binding\/\*\.cc/);
    expect(section).toMatch(/target_link_libraries\(offheap_addon PRIVATE offheap_core/);
    expect(text).toMatch(/file\(GLOB OFFHEAP_CORE_SOURCES[^)]*native\/src\/\*\.c\)/);
  });
});
