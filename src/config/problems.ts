/**
 * Config problems: one shape for YAML syntax errors, interpolation issues, schema violations and cross-reference
 * errors, each naming the file, line, dot-path and a fix. Secrets are never quoted back in messages.
 */
import type { z } from 'zod';
import { fromZodIssue } from 'zod-validation-error';
import { GatewayError } from '../core/errors.js';

export type ConfigPath = ReadonlyArray<string | number>;

export interface ConfigProblem {
  severity: 'error' | 'warning';
  /** Dot-path such as `agents.researcher.rate_limit` or `models["claude-*"].provider`; empty for the whole file. */
  path: string;
  /** The same path as segments, for programmatic use. */
  segments: ConfigPath;
  message: string;
  /** What to change, when there is a concrete suggestion. */
  fix: string | undefined;
  /** Config file, or `<embedded defaults>` / `<inline>` when there is none. */
  file: string | undefined;
  /** 1-based line and column in `file`, when known. */
  line: number | undefined;
  column: number | undefined;
}

export function problem(
  severity: ConfigProblem['severity'],
  segments: ConfigPath,
  message: string,
  fix?: string,
): ConfigProblem {
  return {
    severity,
    path: formatPath(segments),
    segments: [...segments],
    message,
    fix,
    file: undefined,
    line: undefined,
    column: undefined,
  };
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `agents.researcher.keys[0]`; keys that are not plain identifiers are quoted: `models["gpt-*"]`. */
export function formatPath(segments: ConfigPath): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `gateway.yaml:12:5: error: agents.researcher.rate_limit: invalid rate limit (fix: ...)`, one line. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.file === undefined ? '' : `${p.file}${p.line === undefined ? '' : `:${p.line}${p.column === undefined ? '' : `:${p.column}`}`}: `;
  const path = p.path === '' ? '' : `${p.path}: `;
  const fix = p.fix === undefined ? '' : ` (fix: ${p.fix})`;
  return `${where}${p.severity}: ${path}${p.message}${fix}`;
}

/** Thrown by loadConfig for the CLI; `problems` holds every error (and the warnings seen alongside them). */
export class ConfigError extends GatewayError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], file: string | undefined) {
    const errors = problems.filter((p) => p.severity === 'error');
    const head = `${file ?? 'config'}: ${errors.length} problem${errors.length === 1 ? '' : 's'}`;
    super('config', [head, ...errors.map((p) => `  ${formatProblem(p)}`)].join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}

type Issue = z.core.$ZodIssue;

function describeExpected(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : `a value of type ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
}

/** A readable problem for one zod issue; messages come from zod-validation-error or the schema's own hints. */
export function problemFromIssue(issue: Issue): ConfigProblem {
  const segments = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const source = issue.code === 'invalid_key' && issue.issues[0] !== undefined ? issue.issues[0] : issue;
  // A union's message is the schema's own hint ("expected a duration; write ..."); zod-validation-error would
  // instead list every branch's complaint.
  let message =
    source.code === 'invalid_union'
      ? source.message
      : fromZodIssue(source, { prefix: null, includePath: false, forceTitleCase: false }).message;
  let fix: string | undefined;
  // Schema hints are written as "<what is wrong>; <how to fix it>".
  const split = message.indexOf('; ');
  if (split > 0) {
    fix = message.slice(split + 2);
    message = message.slice(0, split);
  } else {
    const expected = describeExpected(source);
    if (expected !== undefined) fix = `use ${expected}`;
  }
  return problem('error', segments, message, fix);
}
