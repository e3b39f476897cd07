/**
 * The shape an Arrow DataType gives its Data: child types, or the value type
 * of a dictionary. Both ends of a table hand-off check every Data node
 * against it, so the sender never hands off a table the receiver would
 * refuse, and the receiver builds every Data with the type the schema says.
 */

/** Arrow's `Type.Dictionary`. */
const DICTIONARY = -1;
/** Nesting deeper than this is refused (no real schema comes near it). */
export const MAX_DEPTH = 256;

/** @internal */
export interface Shape {
  /** Child types, in order (empty for a dictionary or a flat type). */
  readonly children: readonly unknown[];
  /** The dictionary's value type, if the type is a Dictionary. */
  readonly dictionary: unknown;
}

/** @internal The shape of `type`; throws a plain Error if it is not a DataType. */
export function shapeOf(type: unknown): Shape {
  if (type === null || typeof type !== 'object') throw new Error('a Data has no DataType');
  const t = type as Record<string, unknown>;
  const typeId = t.typeId;
  if (typeof typeId !== 'number') throw new Error('a Data has no DataType');
  if (typeId === DICTIONARY) {
    const d = t.dictionary;
    if (d === null || typeof d !== 'object') throw new Error('a Dictionary type has no value type');
    return { children: [], dictionary: d };
  }
  const fields = t.children;
  if (fields === null || fields === undefined) return { children: [], dictionary: undefined };
  if (!Array.isArray(fields)) throw new Error('DataType.children is not an array');
  return {
    children: fields.map((f: unknown) => {
      const ft = f !== null && typeof f === 'object' ? (f as Record<string, unknown>).type : undefined;
      if (ft === null || typeof ft !== 'object') throw new Error('a child field has no type');
      return ft;
    }),
    dictionary: undefined,
  };
}
