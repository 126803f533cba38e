/**
 * Provider JSON with its depth bounded. JSON.parse accepts nesting of any depth, but everything
 * after it recurses (JSON.stringify, zod, the id hashes), and a signed item nested thousands of
 * levels deep would throw there on every retry: the provider would be answered 5xx for days and
 * the valid items beside it never queued. So a parsed body is bounded once, before anything else
 * reads it: each value nested deeper than `maxDepth` is replaced by a marker holding its JSON text,
 * written without recursion. Nothing is lost; nothing downstream meets the depth.
 */

/** Far deeper than any provider payload (Meta's go about 10 levels deep). */
export const MAX_JSON_DEPTH = 64;

/** What stands where a too-deep value was: its exact JSON text. */
export interface DepthMarker {
  readonly switchboardTooDeep: { readonly json: string };
}

type Frame = { readonly value: unknown; readonly keys: readonly string[] | null; index: number };

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** JSON.stringify without recursion: any depth, the same text. */
export const stringifyIteratively = (root: unknown): string => {
  if (!isContainer(root)) return JSON.stringify(root) ?? 'null';
  const out: string[] = [];
  const open = (value: object): Frame => {
    const isArray = Array.isArray(value);
    out.push(isArray ? '[' : '{');
    return { value, keys: isArray ? null : Object.keys(value), index: 0 };
  };
  const stack: Frame[] = [open(root)];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    const length = frame.keys === null ? (frame.value as unknown[]).length : frame.keys.length;
    if (frame.index >= length) {
      out.push(frame.keys === null ? ']' : '}');
      stack.pop();
      continue;
    }
    const position = frame.index++;
    if (position > 0) out.push(',');
    let child: unknown;
    if (frame.keys === null) {
      child = (frame.value as unknown[])[position];
      // JSON.stringify writes null for what JSON cannot hold inside an array.
      if (child === undefined || typeof child === 'function' || typeof child === 'symbol') child = null;
    } else {
      const key = frame.keys[position] as string;
      child = (frame.value as Record<string, unknown>)[key];
      out.push(JSON.stringify(key), ':');
    }
    if (isContainer(child)) stack.push(open(child));
    else out.push(JSON.stringify(child) ?? 'null');
  }
  return out.join('');
};

/** Depth of the deepest value (a scalar is 0), without recursion; stops counting once past `limit`. */
const depthExceeds = (root: unknown, limit: number): boolean => {
  const pending: Array<readonly [unknown, number]> = [[root, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop() as readonly [unknown, number];
    if (!isContainer(value)) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(value)) if (isContainer(child)) pending.push([child, depth + 1]);
  }
  return false;
};

const bounded = (value: unknown, depth: number, maxDepth: number): unknown => {
  if (!isContainer(value)) return value;
  if (depth >= maxDepth)
    return { switchboardTooDeep: { json: stringifyIteratively(value) } } satisfies DepthMarker;
  if (Array.isArray(value)) return value.map((child) => bounded(child, depth + 1, maxDepth));
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    // Defined, not assigned: a `__proto__` key stays data.
    Object.defineProperty(copy, key, {
      value: bounded(child, depth + 1, maxDepth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
};

/**
 * `value` itself when no part of it is nested deeper than `maxDepth` (the usual case, no copy);
 * otherwise a copy in which every value at that depth holding more is its JSON text in a marker.
 */
export const boundDepth = (value: unknown, maxDepth = MAX_JSON_DEPTH): unknown =>
  depthExceeds(value, maxDepth) ? bounded(value, 0, maxDepth) : value;
