/**
 * OpenAI's structured-output format, which Chat Completions (`response_format`, schema nested under
 * `json_schema`) and Responses (`text.format`, schema fields inline) spell alike but for the nesting.
 */
import { assertNever } from '../../core/assert-never.js';
import type { ResponseFormat } from '../canonical.js';
import type { OpenAIJsonSchemaSpec } from '../openai-chat/shapes.js';
import type { JsonObject } from './json.js';
import { invalid, isObject, str, tagGuard } from './json.js';

const formatType = tagGuard(['text', 'json_object', 'json_schema']);

/** `schemaSpec` picks the object holding name/description/schema/strict out of a json_schema format. */
export function decodeOpenAIResponseFormat(
  value: unknown,
  param: string,
  schemaSpec: (format: JsonObject) => JsonObject,
): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalid(`\`${param}\` must be an object.`, param);
  const type = formatType(value['type']);
  if (type === undefined) throw invalid(`\`${param}.type\` must be text, json_object or json_schema.`, `${param}.type`);
  switch (type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const spec = schemaSpec(value);
      const name = str(spec['name']);
      const description = str(spec['description']);
      const strict = spec['strict'];
      return {
        type: 'json_schema',
        ...(name === undefined ? {} : { name }),
        ...(description === undefined ? {} : { description }),
        schema: isObject(spec['schema']) ? spec['schema'] : {},
        ...(typeof strict === 'boolean' ? { strict } : {}),
      };
    }
    default:
      return assertNever(type);
  }
}

/** The name/description/schema/strict fields of a json_schema format, as OpenAI wants them. */
export function openAIJsonSchemaSpec(format: Extract<ResponseFormat, { type: 'json_schema' }>): OpenAIJsonSchemaSpec {
  return {
    // OpenAI requires a name; strict needs a conforming schema, so it is only set when asked (spec §4.6).
    name: format.name ?? 'output',
    ...(format.description === undefined ? {} : { description: format.description }),
    schema: format.schema,
    strict: format.strict ?? false,
  };
}
