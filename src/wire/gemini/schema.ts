/**
 * JSON Schema ⇄ the Gemini `Schema` of `functionDeclarations[].parameters` and `responseSchema`.
 *
 * The gateway sends `parameters` (an OpenAPI 3.0 subset), not the newer `parametersJsonSchema`: `parameters` is
 * accepted by every Gemini model and by both the Gemini API and Vertex AI, while `parametersJsonSchema` is not taken
 * by older models. The price is this narrowing, which keeps what Gemini reads and rewrites what it would refuse:
 * - `type: ["string","null"]` → `type: STRING, nullable: true`; several non-null types → `anyOf`;
 * - `$ref` into `$defs`/`definitions` is inlined (a recursive reference, which `Schema` cannot say, becomes an
 *   untyped object below a depth bound);
 * - `const` → a one-value `enum`; `oneOf` → `anyOf`; an `allOf` of one schema → that schema;
 * - `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum` (bound widened by nothing: Gemini only reads them as hints);
 * - `enum` values become strings (Gemini enums are string-only) and a non-string enum keeps its type instead;
 * - `required` keeps only names in `properties`; a `format` Gemini does not list is dropped;
 * - everything else (`$schema`, `additionalProperties`, `examples`, `$comment`, `not`, `patternProperties`, …) is dropped.
 */
import type { JsonObject } from '../shared/json.js';
import { isObject } from '../shared/json.js';

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
const FORMATS: Record<string, ReadonlySet<string>> = {
  STRING: new Set(['enum', 'date-time']),
  NUMBER: new Set(['float', 'double']),
  INTEGER: new Set(['int32', 'int64']),
};
/** Fields of Gemini's Schema copied as they are, when their value has the right JSON type. */
const NUMERIC = ['minItems', 'maxItems', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'minimum', 'maximum'] as const;
const MAX_DEPTH = 12;

interface Defs {
  root: JsonObject;
  depth: number;
}

export function toGeminiSchema(schema: JsonObject): JsonObject {
  return convert(schema, { root: schema, depth: 0 });
}

function resolveRef(ref: string, root: JsonObject): JsonObject | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

function convert(input: JsonObject, defs: Defs): JsonObject {
  if (defs.depth > MAX_DEPTH) return { type: 'OBJECT' };
  const next: Defs = { root: defs.root, depth: defs.depth + 1 };
  let schema = input;
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const target = resolveRef(ref, defs.root);
    // Sibling keywords (a description) next to $ref win over the target's.
    const { $ref: _ref, ...siblings } = schema;
    schema = target === undefined ? { type: 'object', ...siblings } : { ...target, ...siblings };
  }
  const allOf = schema['allOf'];
  if (Array.isArray(allOf) && allOf.length > 0) {
    const { allOf: _all, ...rest } = schema;
    const merged = allOf.filter(isObject).reduce<JsonObject>((acc, part) => mergeAllOf(acc, part, defs.root), {});
    schema = { ...merged, ...rest };
  }

  const out: JsonObject = {};
  if (typeof schema['title'] === 'string') out['title'] = schema['title'];
  if (typeof schema['description'] === 'string') out['description'] = schema['description'];

  const union = schema['anyOf'] ?? schema['oneOf'];
  const rawType = schema['type'];
  const types = (Array.isArray(rawType) ? rawType : rawType === undefined ? [] : [rawType]).filter(
    (t): t is string => typeof t === 'string' && TYPES.has(t),
  );
  const nullable = types.includes('null') || schema['nullable'] === true;
  const concrete = types.filter((t) => t !== 'null');

  if (Array.isArray(union)) {
    const members = union.filter(isObject);
    const nonNull = members.filter((m) => m['type'] !== 'null');
    const unionNullable = nullable || nonNull.length < members.length;
    if (nonNull.length === 1) {
      const single = convert(nonNull[0]!, next);
      return { ...single, ...out, ...(unionNullable ? { nullable: true } : {}) };
    }
    out['anyOf'] = nonNull.map((m) => convert(m, next));
    if (unionNullable) out['nullable'] = true;
    return out;
  }
  if (concrete.length > 1) {
    out['anyOf'] = concrete.map((t) => convert({ ...schema, type: t, title: undefined, description: undefined }, next));
    if (nullable) out['nullable'] = true;
    return out;
  }

  const type = concrete[0]?.toUpperCase() ?? (isObject(schema['properties']) ? 'OBJECT' : isObject(schema['items']) ? 'ARRAY' : undefined);
  if (type !== undefined) out['type'] = type;
  else if (types.includes('null')) out['type'] = 'NULL';
  if (nullable && type !== undefined) out['nullable'] = true;

  const format = schema['format'];
  if (typeof format === 'string' && type !== undefined && FORMATS[type]?.has(format) === true) out['format'] = format;

  const values = 'const' in schema ? [schema['const']] : Array.isArray(schema['enum']) ? schema['enum'] : undefined;
  if (values !== undefined) {
    const strings = values.filter((v) => v !== null);
    if (type === undefined || type === 'STRING') {
      out['type'] = 'STRING';
      out['format'] = 'enum';
      out['enum'] = strings.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    }
  }
  for (const key of NUMERIC) if (typeof schema[key] === 'number') out[key] = schema[key];
  if (typeof schema['exclusiveMinimum'] === 'number' && out['minimum'] === undefined) out['minimum'] = schema['exclusiveMinimum'];
  if (typeof schema['exclusiveMaximum'] === 'number' && out['maximum'] === undefined) out['maximum'] = schema['exclusiveMaximum'];
  if (typeof schema['pattern'] === 'string') out['pattern'] = schema['pattern'];
  if ('default' in schema && schema['default'] !== undefined) out['default'] = schema['default'];
  if (Array.isArray(schema['examples']) && schema['examples'].length > 0) out['example'] = schema['examples'][0];
  else if ('example' in schema) out['example'] = schema['example'];

  const properties = schema['properties'];
  if (isObject(properties)) {
    const converted: JsonObject = {};
    for (const [name, prop] of Object.entries(properties)) converted[name] = isObject(prop) ? convert(prop, next) : {};
    out['properties'] = converted;
    const required = schema['required'];
    if (Array.isArray(required)) {
      const kept = required.filter((r): r is string => typeof r === 'string' && Object.hasOwn(converted, r));
      if (kept.length > 0) out['required'] = kept;
    }
  }
  const items = schema['items'];
  if (isObject(items)) out['items'] = convert(items, next);
  else if (type === 'ARRAY') out['items'] = {};
  return out;
}

function mergeAllOf(acc: JsonObject, part: JsonObject, root: JsonObject): JsonObject {
  const resolved = typeof part['$ref'] === 'string' ? (resolveRef(part['$ref'], root) ?? {}) : part;
  const props = { ...(isObject(acc['properties']) ? acc['properties'] : {}), ...(isObject(resolved['properties']) ? resolved['properties'] : {}) };
  const required = [
    ...(Array.isArray(acc['required']) ? acc['required'] : []),
    ...(Array.isArray(resolved['required']) ? resolved['required'] : []),
  ];
  return {
    ...acc,
    ...resolved,
    ...(Object.keys(props).length > 0 ? { properties: props } : {}),
    ...(required.length > 0 ? { required } : {}),
  };
}

/** A Gemini Schema as JSON Schema, for clients of other formats: type names lowercased, `nullable` as a `null` type. */
export function fromGeminiSchema(schema: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case 'type':
        if (typeof value === 'string') out['type'] = value.toLowerCase();
        break;
      case 'nullable':
      case 'propertyOrdering':
        break;
      case 'format':
        if (value !== 'enum') out['format'] = value;
        break;
      case 'example':
        out['examples'] = [value];
        break;
      case 'properties':
        if (isObject(value)) {
          const props: JsonObject = {};
          for (const [name, prop] of Object.entries(value)) props[name] = isObject(prop) ? fromGeminiSchema(prop) : {};
          out['properties'] = props;
        }
        break;
      case 'items':
        if (isObject(value)) out['items'] = fromGeminiSchema(value);
        break;
      case 'anyOf':
        if (Array.isArray(value)) out['anyOf'] = value.filter(isObject).map(fromGeminiSchema);
        break;
      default:
        out[key] = value;
    }
  }
  if (schema['nullable'] === true) {
    if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
    else if (Array.isArray(out['anyOf'])) out['anyOf'] = [...out['anyOf'], { type: 'null' }];
  }
  return out;
}
