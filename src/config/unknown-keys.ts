/**
 * Finds keys the schema does not know, so they can be reported as warnings with their path (a typo such as
 * `rate_limt` should be visible, but must not stop the gateway). Walks the zod schema alongside the value.
 */
import { z } from 'zod';
import { closest } from './edit-distance.js';

export interface UnknownKey {
  path: Array<string | number>;
  key: string;
  suggestion: string | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function findUnknownKeys(schema: z.ZodType, value: unknown, path: Array<string | number> = []): UnknownKey[] {
  const found: UnknownKey[] = [];
  walk(schema, value, path, found);
  return found;
}

function walk(schema: z.ZodType, value: unknown, path: Array<string | number>, found: UnknownKey[]): void {
  if (value === null || value === undefined) return;
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    walk(schema.unwrap() as z.ZodType, value, path, found);
  } else if (schema instanceof z.ZodObject) {
    if (!isPlainObject(value)) return;
    const shape = schema.shape as Record<string, z.ZodType>;
    const known = Object.keys(shape);
    for (const [key, child] of Object.entries(value)) {
      const childSchema = shape[key];
      if (childSchema === undefined) {
        found.push({ path: [...path, key], key, suggestion: closest(key, known, 1)[0] });
      } else {
        walk(childSchema, child, [...path, key], found);
      }
    }
  } else if (schema instanceof z.ZodRecord) {
    if (!isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value)) walk(schema.valueType as z.ZodType, child, [...path, key], found);
  } else if (schema instanceof z.ZodArray) {
    if (!Array.isArray(value)) return;
    value.forEach((item, index) => walk(schema.element as z.ZodType, item, [...path, index], found));
  } else if (schema instanceof z.ZodUnion) {
    const options = schema.options as readonly z.ZodType[];
    // Descend into the branch the value belongs to: the one that accepts it, else the first object branch.
    const branch =
      options.find((option) => option.safeParse(value).success) ??
      (isPlainObject(value) ? options.find((option) => option instanceof z.ZodObject) : undefined);
    if (branch) walk(branch, value, path, found);
  }
}
