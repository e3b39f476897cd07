/**
 * mapFile: a file mapped into memory as one offheap block.
 *
 * The file is opened and checked here, so its errors are Node's own (code
 * ENOENT, EACCES, EISDIR, ...); the core maps it (offheap_map_file) and the
 * descriptor is closed before mapFile returns, whatever happens. The view's
 * buffer is the mapping's own ArrayBuffer in both modes (see
 * native/binding/mapfile.cc): free() detaches it and the file is unmapped
 * at once; a mapping script forgets is unmapped when V8 collects it.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import { nativeFailure } from './codes';
import { MAX_ALLOC, MAX_BUFFER, MAX_REQUEST } from './constants';
import { OffheapError, argType, argValue, describe, outOfRange } from './errors';
import { native as binding, state as S } from './state';
import type { MapFileMode, MapFileOptions } from './types';
import { typedArrayTag } from './views';

/** The binding's file mapping call (native/binding/mapfile.cc). */
interface MapFileBinding {
  /** fd, length, mode -> the mapping's ArrayBuffer, or a code (EINVAL, -errno, SANDBOX, NAPI_FAILED). */
  mapFile(fd: number, length: number, mode: number): ArrayBuffer | number | undefined;
  readonly MAP_READ: number;
  readonly MAP_COPY: number;
  readonly MAP_WRITE: number;
}
const native = binding as typeof binding & Partial<MapFileBinding>;

const modes: readonly MapFileMode[] = ['read', 'copy', 'write'];

// O_NONBLOCK: opening a FIFO must fail at the type check, not hang waiting
// for a writer. O_NOCTTY: a terminal device never becomes ours.
const openFlags = fsConstants.O_NONBLOCK | (fsConstants.O_NOCTTY ?? 0);

/** Reads `mode` once, as an own property: a polluted Object.prototype cannot make a mapping writable. */
function readMode(options: unknown): MapFileMode {
  if (options === undefined) return 'read';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argType(`mapFile() options must be an object, received ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (k !== 'mode') throw argValue(`unknown mapFile option ${JSON.stringify(k)} (known: mode)`);
  }
  const mode = Object.hasOwn(options, 'mode') ? (options as { mode?: unknown }).mode : undefined;
  if (mode === undefined) return 'read';
  if (typeof mode !== 'string') {
    throw argType(`mapFile mode must be 'read', 'copy' or 'write', received ${describe(mode)}`);
  }
  if (!(modes as readonly string[]).includes(mode)) {
    throw argValue(`mapFile mode must be 'read', 'copy' or 'write', received ${describe(mode)}`, 'range');
  }
  return mode as MapFileMode;
}

/** What to open (a file: URL becomes its path) and how to name it in errors. */
function readPath(path: unknown): { open: string | Buffer; label: string } {
  if (typeof path === 'string') return { open: path, label: path };
  if (typedArrayTag(path) === 'Uint8Array') {
    // a copy through the TypedArray constructor (internal slots, no user getters)
    const bytes = Buffer.from(new Uint8Array(path as Uint8Array).buffer);
    return { open: bytes, label: bytes.toString() };
  }
  if (path instanceof URL) {
    const p = fileURLToPath(path); // ERR_INVALID_URL_SCHEME for anything but file:
    return { open: p, label: p };
  }
  throw argType(`mapFile() path must be of type string or an instance of Buffer or URL, received ${describe(path)}`);
}

/** An error shaped like Node's own fs errors (code, errno, syscall, path). */
function systemError(code: string, syscall: string, path: string, extra = ''): NodeJS.ErrnoException {
  const errno = (osConstants.errno as Record<string, number | undefined>)[code];
  const text = errno === undefined ? undefined : getSystemErrorMap().get(-errno)?.[1];
  const e: NodeJS.ErrnoException = new Error(`${code}: ${text ?? 'system error'}, ${syscall} '${path}'${extra}`);
  if (errno !== undefined) e.errno = -errno;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

function emptyFile(label: string): OffheapError {
  return new OffheapError(
    'ERR_OFFHEAP_EMPTY_FILE',
    `offheap: mapFile(): ${JSON.stringify(label)} is empty (its size is 0, as for files in /proc): a mapping needs at least one byte`,
  );
}

function tooLarge(label: string, size: number): RangeError {
  const limit =
    MAX_REQUEST < MAX_ALLOC
      ? `the largest ArrayBuffer of Node.js ${process.versions.node} (buffer.constants.MAX_LENGTH = ${MAX_BUFFER}); Node.js >= 22 maps files up to 2^44 bytes as one view`
      : `2^44 bytes, the largest offheap block`;
  return outOfRange(`mapFile(): ${JSON.stringify(label)} is ${size} bytes, more than ${limit}`);
}

/** The error for a failed native call `r` mapping `size` bytes of `label`. */
function mapFailure(r: unknown, label: string, size: number): Error {
  if (r === -native.ENOMEM) {
    return new OffheapError('ERR_OFFHEAP_OOM', `offheap: mapFile(): no address space to map ${size} bytes of ${JSON.stringify(label)}`);
  }
  if (r === native.EINVAL) return systemError('EINVAL', 'mmap', label, ' (the file changed size while it was being mapped)');
  if (typeof r === 'number' && r < 0 && r > -1000) {
    let code = `E${-r}`;
    try {
      code = getSystemErrorName(r);
    } catch {
      // unknown errno: keep the number
    }
    return systemError(code, 'mmap', label);
  }
  return nativeFailure('mapFile()', r);
}

/**
 * Maps a whole file into memory and returns a `Uint8Array` over it, outside
 * the V8 heap and without reading it: pages are loaded when touched, so the
 * file may be larger than RAM. On Node.js >= 22 a file of any size up to
 * 2^44 bytes is one view; Node.js 20 stops at 4 GiB.
 *
 * Modes:
 * - `'read'` (default): the file is opened read-only and never changed.
 *   JavaScript cannot make memory read-only, so a write through the view is
 *   possible but stays in this process (a private copy of that page).
 * - `'copy'`: the same private copy-on-write mapping, meant for writing:
 *   changes are seen by this process only and never reach the file.
 * - `'write'`: the file is opened read-write and mapped shared: writes reach
 *   the file (and other processes mapping it); the kernel writes them back.
 *
 * Release it with {@link free} (from any thread): the view's buffer is
 * detached (every view of it has length 0 from then on) and the file is
 * unmapped at once. A mapping no JavaScript value refers to any more is
 * unmapped when V8 collects it. `view.buffer` is the mapping itself, exactly
 * the file's size, in both modes. {@link handleOf} / {@link adopt} hand it to
 * another thread like any block.
 *
 * If another process truncates the file while it is mapped, touching a page
 * past the new end kills the process with SIGBUS, in every mode (Linux drops
 * the private copies of 'copy' too). No mode avoids it: map only files
 * nobody truncates in place (a writer that replaces the file by rename is
 * safe: the mapping keeps the old file), or read the bytes into an offheap
 * block instead.
 *
 * @param path - a path (string or Buffer) or a `file:` URL
 * @param options - `mode`: `'read'` (default), `'copy'` or `'write'`
 * @throws TypeError `ERR_INVALID_ARG_TYPE` for a path or options of the wrong type;
 *   `ERR_INVALID_ARG_VALUE` for an unknown option
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown mode;
 *   `ERR_OUT_OF_RANGE` for a file larger than one view can be (4 GiB on Node.js 20)
 * @throws Node's own file errors: `ENOENT`, `EACCES`, `EISDIR` (a directory),
 *   `ENODEV` (not a regular file: FIFO, socket, device), `EROFS`, ...
 * @throws {@link OffheapError} `ERR_OFFHEAP_EMPTY_FILE` for an empty file;
 *   `ERR_OFFHEAP_OOM` when no address space is left
 */
export function mapFile(path: string | Uint8Array | URL, options?: MapFileOptions): Uint8Array {
  const mode = readMode(options);
  const { open, label } = readPath(path);
  if (typeof native.mapFile !== 'function') {
    throw new OffheapError('ERR_OFFHEAP_NATIVE', 'offheap: this build of the native addon has no mapFile (rebuild it)');
  }
  const fd = openSync(open, (mode === 'write' ? fsConstants.O_RDWR : fsConstants.O_RDONLY) | openFlags);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw systemError('EISDIR', 'mmap', label);
    if (!st.isFile()) throw systemError('ENODEV', 'mmap', label, ' (not a regular file)');
    const size = st.size;
    if (size === 0) throw emptyFile(label);
    if (size > MAX_REQUEST) throw tooLarge(label, size);
    const how = mode === 'write' ? native.MAP_WRITE : mode === 'copy' ? native.MAP_COPY : native.MAP_READ;
    const r = native.mapFile(fd, size, how!);
    if (!(r instanceof ArrayBuffer)) throw mapFailure(r, label, size);
    S.checkedBufs.add(r); // free() and handleOf() treat it as a block with its own buffer
    return new Uint8Array(r);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // the mapping does not need the descriptor; it is gone either way
    }
  }
}
