// `concurrency: ${CONC:-3}`: a value that was entirely one ${…} takes the type the schema wants (number or boolean).
import type { z } from 'zod';
import type { KeyPath } from './problems.js';
import { schemaAt, unwrap } from './schema-walk.js';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Convert in place the string values at `paths` whose schema is a number or boolean; others stay strings. */
export function coerceWholeExpansions(tree: unknown, paths: readonly KeyPath[], schema: z.ZodType): void {
  for (const path of paths) {
    const target = schemaAt(schema, path);
    if (!target || path.length === 0) continue;
    const type = (unwrap(target).inner as unknown as { _zod: { def: { type: string } } })._zod.def.type;
    let parent: unknown = tree;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown> | undefined)?.[key];
    if (parent === null || typeof parent !== 'object') continue;
    const holder = parent as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    const value = holder[last];
    if (typeof value !== 'string') continue;
    const text = value.trim();
    if (type === 'number' && NUMBER.test(text)) holder[last] = Number(text);
    else if (type === 'boolean' && /^(true|false)$/i.test(text)) holder[last] = text.toLowerCase() === 'true';
  }
}
