// The Node line the suite is running on (`npm test` runs it on 20, 22, 24 and
// 26: scripts/node-matrix.mjs). Tests that only make sense on some lines use
// vitest's runIf/skipIf so that elsewhere they are reported as skipped, not
// passed:
//
//   it.runIf(nodeAtLeast(22))('transfer() moves the pool buffer', ...)
//   it.skipIf(nodeAtLeast(22))('Node 20 refuses views over 4 GiB', ...)
export const nodeMajor: number = Number(process.versions.node.split('.')[0]);

/** True when running on Node `major` or later. */
export function nodeAtLeast(major: number): boolean {
  return nodeMajor >= major;
}

/** `ArrayBuffer.prototype.transfer()` exists (Node >= 22). */
export const hasArrayBufferTransfer: boolean = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

/** External ArrayBuffers and typed arrays may exceed 4 GiB / 2^32 elements (Node >= 22). */
export const bigViews: boolean = nodeAtLeast(22);
