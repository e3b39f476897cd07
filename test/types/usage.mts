// Compiled (not run) by test/entry-points.test.ts with tsc: the public API as
// a TypeScript ESM consumer sees it through package.json "exports".
import {
  OffheapError,
  adopt,
  alloc,
  allocArray,
  allocZeroed,
  configure,
  free,
  gc,
  getConfig,
  handleOf,
  mapFile,
  stats,
  type GcReport,
  type HeapStats,
  type MapFileOptions,
  type OffheapErrorCode,
  type OffheapHandle,
} from 'offheap';

const a: Uint8Array = alloc(10);
const z: Uint8Array = allocZeroed(10);
const f: Float64Array = allocArray(Float64Array, 4);
const b: BigInt64Array = allocArray(BigInt64Array, 4);
const c: Uint8ClampedArray = allocArray(Uint8ClampedArray, 4);
const s: HeapStats = stats('process');
const n: number = s.bytesLive + s.liveByOrder[0]!;
const r: GcReport = gc();
configure({ swap: 'auto', checked: false, slabBudget: 1 << 16 });
const sw: 'auto' | 'always' | 'never' = getConfig().swap;
const h: OffheapHandle = handleOf(f);
const generation: number = h.ticket;
const detachedCode: OffheapErrorCode = 'ERR_OFFHEAP_DETACHED';
const back: Float64Array = adopt(h, Float64Array);
const u8: Uint8Array = adopt(h);
free(a);
free(z);
free(back);
free(b);
free(c);
free(u8);
const mapOptions: MapFileOptions = { mode: 'copy' };
const mapped: Uint8Array = mapFile('/etc/hostname', mapOptions);
free(mapFile(new URL('file:///etc/hostname'), { mode: 'read' }));
free(mapped);
try {
  free(a);
} catch (e) {
  if (e instanceof OffheapError) {
    const code: OffheapErrorCode = e.code;
    void code;
  }
}
// @ts-expect-error: sizes are numbers
alloc('10');
// @ts-expect-error: only TypedArray constructors
allocArray(Array, 3);
// @ts-expect-error: scope is 'thread' | 'process'
stats('global');
// @ts-expect-error: unknown option
configure({ swapdir: '/tmp' });
// @ts-expect-error: modes are 'read' | 'copy' | 'write'
mapFile('/etc/hostname', { mode: 'append' });
void n;
void generation;
void detachedCode;
void r;
void sw;
