// The same API through require (CommonJS consumer, "require" condition).
import oh = require('offheap');

const v: Uint8Array = oh.alloc(1);
oh.free(v);
const err: typeof oh.OffheapError = oh.OffheapError;
void err;
