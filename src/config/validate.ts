/**
 * The validating function: plain data in, `{config, warnings, errors}` out, never throws for bad input.
 * Problems carry dot-paths; the loader adds file and line.
 */
import { createErrorMap } from 'zod-validation-error';
import { EMBEDDED_CONFIG_YAML } from './defaults.js';
import type { Env } from './interpolate.js';
import type { PolicyConditionCheck } from './normalize.js';
import { normalizeConfig } from './normalize.js';
import type { ConfigProblem } from './problems.js';
import { problem, problemFromIssue } from './problems.js';
import type { GatewayFile } from './schema.js';
import { BARE_DURATION_UNITS, gatewayFileSchema } from './schema.js';
import type { GatewayConfig } from './types.js';
import { findBareDurations, findUnknownKeys } from './unknown-keys.js';
import { formatDuration, parseDuration } from './units.js';
import { parseYamlSource } from './yaml-source.js';

export interface ConfigResult {
  /** Present exactly when `errors` is empty. */
  config: GatewayConfig | undefined;
  warnings: ConfigProblem[];
  errors: ConfigProblem[];
}

export interface ValidateOptions {
  /** Environment for the embedded defaults' keys (OPENAI_API_KEY, ANTHROPIC_API_KEY). */
  env?: Env | undefined;
  /** Directory relative storage paths are resolved against. */
  baseDir?: string | undefined;
  /** Merge the embedded providers and routes under the config (default true; the file can also opt out). */
  embeddedDefaults?: boolean | undefined;
  /** Lets the policy parser report bad conditions as located config errors. */
  checkPolicyCondition?: PolicyConditionCheck | undefined;
}

const errorMap = createErrorMap({ reportInput: 'type' });

/** Schema check of plain data; problems carry paths but no lines. */
export function checkSchema(raw: unknown): { file: GatewayFile | undefined; problems: ConfigProblem[] } {
  const value = raw ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      file: undefined,
      problems: [problem('error', [], 'the config must be a mapping of sections (gateway, providers, models, agents, ...)', 'start the file with e.g. "gateway:"')],
    };
  }
  const problems: ConfigProblem[] = findUnknownKeys(gatewayFileSchema, value).map((u) =>
    problem('warning', u.path, `unknown key "${u.key}" is ignored`, u.suggestion === undefined ? 'remove it' : `did you mean "${u.suggestion}"?`),
  );
  for (const bare of findBareDurations(gatewayFileSchema, value, BARE_DURATION_UNITS)) {
    const ms = parseDuration(bare.value, bare.unit);
    if (ms === undefined) continue; // negative: the schema reports it
    const read = bare.unit === 'milliseconds' ? `${bare.value} ms, as the agent-gateway format documents for breakers` : `${bare.value} seconds`;
    problems.push(problem('warning', bare.path, `the bare number ${bare.value} is read as ${read}`, `write it with a unit: ${formatDuration(ms)}`));
  }
  const parsed = gatewayFileSchema.safeParse(value, { error: errorMap });
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map(problemFromIssue));
    return { file: undefined, problems };
  }
  return { file: parsed.data, problems };
}

/** The embedded defaults, interpolated with `env`. Always valid; a failure here is a bug in this package. */
export function embeddedDefaults(env: Env): GatewayFile {
  const source = parseYamlSource(EMBEDDED_CONFIG_YAML, env);
  const checked = checkSchema(source.raw);
  if (checked.file === undefined) throw new Error('the embedded default config does not validate');
  return checked.file;
}

export function validateConfig(raw: unknown, options: ValidateOptions = {}): ConfigResult {
  const checked = checkSchema(raw);
  const problems = [...checked.problems];
  let config: GatewayConfig | undefined;
  if (checked.file !== undefined) {
    const embedded = options.embeddedDefaults === false ? undefined : embeddedDefaults(options.env ?? {});
    const normalized = normalizeConfig(checked.file, {
      baseDir: options.baseDir,
      embedded,
      checkPolicyCondition: options.checkPolicyCondition,
    });
    problems.push(...normalized.problems);
    config = normalized.config;
  }
  return split(problems, config);
}

export function split(problems: readonly ConfigProblem[], config: GatewayConfig | undefined): ConfigResult {
  const errors = problems.filter((p) => p.severity === 'error');
  return {
    config: errors.length === 0 ? config : undefined,
    warnings: problems.filter((p) => p.severity === 'warning'),
    errors,
  };
}
