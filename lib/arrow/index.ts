/**
 * offheap/arrow: Apache Arrow tables in offheap memory (CommonJS entry).
 *
 * `apache-arrow` is an optional peer dependency, loaded only here: the main
 * `offheap` entry never loads it. See docs/arrow.md.
 *
 * @packageDocumentation
 */
import type { ArrowLib } from './types';
import { arrowMissing, createArrowApi } from './api';

function loadArrow(): ArrowLib {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('apache-arrow') as ArrowLib;
  } catch (e) {
    throw arrowMissing(e);
  }
}

const api = createArrowApi(loadArrow());

export const {
  readIPC,
  release,
  handleOfTable,
  adoptTable,
  utf8Column,
  binaryColumn,
  utf8Builder,
  binaryBuilder,
  validityBitmap,
  writeIPC,
} = api;
export type { ArrowApi } from './api';
export type { OffheapTableHandle, ReadIPCOptions, VarWidthBuilderOptions, WriteIPCOptions } from './types';
export type { ColumnBuilder } from './varwidth';
