/**
 * What every request decoder does alike: sorting the body's untyped fields into spec §8 policies,
 * reading reasoning efforts and function tools, and assembling the CanonicalRequest.
 */
import type { WireFormat } from '../codec.js';
import type {
  CanonicalRequest,
  FormatField,
  FunctionTool,
  ReasoningConfig,
  ReasoningEffort,
} from '../canonical.js';
import type { JsonObject } from './json.js';
import { invalid, isObject, str } from './json.js';

/** How a format sorts the top-level fields it has no typed canonical field for (spec §8). */
export interface FieldClasses {
  /** Fields decoded into typed canonical fields; never listed. */
  known: ReadonlySet<string>;
  hint?: ReadonlySet<string>;
  sampling?: ReadonlySet<string>;
  contract?: ReadonlySet<string>;
  /** Why the contract fields cannot cross formats, where the generic reason would mislead. */
  contractReason?: string;
  /** Values that mean the same as leaving the field out, so they are not listed either. */
  defaults?: Readonly<JsonObject>;
}

/** The body's fields outside `known`, each with its policy; anything unclassified is `unknown`. */
export function untypedFields(body: JsonObject, format: WireFormat, classes: FieldClasses): FormatField[] {
  const fields: FormatField[] = [];
  // for…in over a parsed body (own fields only, none inherited): no pair array per field of every request.
  for (const key in body) {
    const value = body[key];
    if (classes.known.has(key) || value === undefined || value === null) continue;
    if (classes.defaults !== undefined && Object.hasOwn(classes.defaults, key) && classes.defaults[key] === value) continue;
    const contract = classes.contract?.has(key) === true;
    const policy = contract
      ? 'contract'
      : classes.hint?.has(key) === true
        ? 'hint'
        : classes.sampling?.has(key) === true
          ? 'sampling'
          : 'unknown';
    const reason = contract ? classes.contractReason : undefined;
    fields.push({ format, path: key, value, policy, ...(reason === undefined ? {} : { reason }) });
  }
  return fields;
}

const EFFORTS = new Set<string>(['minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

export function isReasoningEffort(value: unknown): value is ReasoningEffort {
  return typeof value === 'string' && EFFORTS.has(value);
}

/** OpenAI's effort field (`reasoning_effort` or `reasoning.effort`); `none` turns reasoning off. */
export function decodeOpenAIEffort(value: unknown, param: string): ReasoningConfig | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'none') return { type: 'disabled' };
  if (isReasoningEffort(value)) return { type: 'effort', effort: value };
  throw invalid(`\`${param}\` must be one of none, minimal, low, medium, high, xhigh, max.`, param);
}

/**
 * A function tool from the object that holds its description, schema and strict flag (`schemaKey` names
 * the schema's field). A missing schema means a tool without arguments.
 */
export function functionTool(name: string, spec: JsonObject, schemaKey: string): FunctionTool {
  const description = str(spec['description']);
  const strict = spec['strict'];
  const schema = spec[schemaKey];
  return {
    type: 'function',
    name,
    ...(description === undefined ? {} : { description }),
    inputSchema: isObject(schema) ? schema : { type: 'object', properties: {} },
    ...(typeof strict === 'boolean' ? { strict } : {}),
  };
}

type OptionalField =
  | 'maxTokens'
  | 'includeUsage'
  | 'toolChoice'
  | 'parallelToolCalls'
  | 'temperature'
  | 'topP'
  | 'topK'
  | 'reasoning'
  | 'responseFormat'
  | 'user';

/** What a decoder read from the body; `undefined` means "not sent". */
export type DecodedFields = Omit<CanonicalRequest, OptionalField | 'source' | 'model' | 'raw'> & {
  [K in OptionalField]?: CanonicalRequest[K] | undefined;
};

/** The CanonicalRequest for a body that passed `requireBody`, leaving out what was not sent. */
export function canonicalRequest(source: WireFormat, body: JsonObject, fields: DecodedFields): CanonicalRequest {
  const f = fields;
  return {
    source,
    model: (body['model'] as string).trim(),
    stream: f.stream,
    ...(f.maxTokens === undefined ? {} : { maxTokens: f.maxTokens }),
    // Only OpenAI chat has `stream_options.include_usage`; the other formats report false.
    includeUsage: f.includeUsage ?? false,
    system: f.system,
    messages: f.messages,
    tools: f.tools,
    ...(f.toolChoice === undefined ? {} : { toolChoice: f.toolChoice }),
    ...(f.parallelToolCalls === undefined ? {} : { parallelToolCalls: f.parallelToolCalls }),
    ...(f.temperature === undefined ? {} : { temperature: f.temperature }),
    ...(f.topP === undefined ? {} : { topP: f.topP }),
    ...(f.topK === undefined ? {} : { topK: f.topK }),
    stopSequences: f.stopSequences,
    ...(f.reasoning === undefined ? {} : { reasoning: f.reasoning }),
    ...(f.responseFormat === undefined ? {} : { responseFormat: f.responseFormat }),
    ...(f.user === undefined ? {} : { user: f.user }),
    extensions: f.extensions,
    raw: body,
  };
}
