/**
 * Loading: find the config file (explicit path, else ./gateway.yaml, else the embedded defaults), parse and
 * interpolate it, validate, and attach file and line to every problem. `parseConfigText` is pure;
 * `readConfig` touches the filesystem; `loadConfig` throws a ConfigError for the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EMBEDDED_SOURCE } from './defaults.js';
import type { Env } from './interpolate.js';
import type { PolicyConditionCheck } from './normalize.js';
import type { ConfigProblem } from './problems.js';
import { ConfigError, problem } from './problems.js';
import type { GatewayConfig } from './types.js';
import type { ConfigResult } from './validate.js';
import { split, validateConfig } from './validate.js';
import { parseYamlSource } from './yaml-source.js';
import { messageOf } from '../core/errors.js';

export const DEFAULT_CONFIG_FILE = 'gateway.yaml';

export interface ParseOptions {
  /** Lets the policy parser report bad conditions as located config errors. */
  checkPolicyCondition?: PolicyConditionCheck | undefined;
  /** Name used in problems (usually the path). */
  file?: string | undefined;
  env?: Env | undefined;
  /** Directory relative storage paths are resolved against; the file's directory when loading from disk. */
  baseDir?: string | undefined;
  embeddedDefaults?: boolean | undefined;
}

/** YAML text → validated config, with every problem located in the text. Pure. */
export function parseConfigText(text: string, options: ParseOptions = {}): ConfigResult {
  const env = options.env ?? {};
  const source = parseYamlSource(text, env);
  const file = options.file ?? '<inline>';
  const place = (p: ConfigProblem): ConfigProblem => {
    if (p.line !== undefined) return { ...p, file };
    const pos = source.locate(p.segments);
    return { ...p, file, line: pos?.line, column: pos?.column };
  };
  const sourceErrors = source.problems.some((p) => p.severity === 'error');
  if (source.raw === undefined && sourceErrors) return split(source.problems.map(place), undefined);
  const result = validateConfig(source.raw, {
    env,
    baseDir: options.baseDir,
    embeddedDefaults: options.embeddedDefaults,
    checkPolicyCondition: options.checkPolicyCondition,
  });
  const problems = [...source.problems, ...result.errors, ...result.warnings].map(place);
  return split(problems, sourceErrors ? undefined : result.config);
}

export type ConfigSource = { kind: 'file'; path: string } | { kind: 'embedded' };

export interface ReadOptions {
  /** Explicit `-c/--config` path; an error when it does not exist. */
  path?: string | undefined;
  /** Directory to look for gateway.yaml in (default: process.cwd()). */
  cwd?: string | undefined;
  /** Environment for interpolation (default: process.env). */
  env?: Env | undefined;
  checkPolicyCondition?: PolicyConditionCheck | undefined;
}

export interface LoadResult extends ConfigResult {
  source: ConfigSource;
}

/** Explicit path, else ./gateway.yaml when present, else undefined (embedded defaults). */
export function resolveConfigPath(
  explicit: string | undefined,
  cwd: string,
  exists: (path: string) => boolean = existsSync,
): string | undefined {
  if (explicit !== undefined) return resolve(cwd, explicit);
  const candidate = resolve(cwd, DEFAULT_CONFIG_FILE);
  return exists(candidate) ? candidate : undefined;
}

export function readConfig(options: ReadOptions = {}): LoadResult {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const path = resolveConfigPath(options.path, cwd);
  if (path === undefined) {
    // An empty file plus the embedded-defaults merge: providers and routes are marked builtin.
    const result = parseConfigText('', { file: EMBEDDED_SOURCE, env, baseDir: cwd, checkPolicyCondition: options.checkPolicyCondition });
    return { ...result, source: { kind: 'embedded' } };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const p =
      code === 'ENOENT'
        ? problem('error', [], 'config file not found', `check the path, or run "ai-gateway init" to create ${DEFAULT_CONFIG_FILE}`)
        : problem('error', [], `cannot read the config file (${code ?? messageOf(err)})`, 'check the file permissions');
    return { config: undefined, warnings: [], errors: [{ ...p, file: path }], source: { kind: 'file', path } };
  }
  const result = parseConfigText(text, { file: path, env, baseDir: dirname(path), checkPolicyCondition: options.checkPolicyCondition });
  return { ...result, source: { kind: 'file', path } };
}

export interface LoadedConfig {
  config: GatewayConfig;
  warnings: ConfigProblem[];
  source: ConfigSource;
}

/** readConfig for the CLI: throws a ConfigError (kind "config", exit code 2) listing every problem. */
export function loadConfig(options: ReadOptions = {}): LoadedConfig {
  const result = readConfig(options);
  if (result.config === undefined || result.errors.length > 0) {
    throw new ConfigError([...result.errors, ...result.warnings], result.source.kind === 'file' ? result.source.path : EMBEDDED_SOURCE);
  }
  return { config: result.config, warnings: result.warnings, source: result.source };
}

/** Plain data → config, throwing ConfigError; convenient for tests and programmatic use. */
export function configFromObject(raw: unknown, options: Omit<ParseOptions, 'file'> = {}): GatewayConfig {
  const result = validateConfig(raw, {
    env: options.env,
    baseDir: options.baseDir,
    embeddedDefaults: options.embeddedDefaults,
    checkPolicyCondition: options.checkPolicyCondition,
  });
  if (result.config === undefined) throw new ConfigError([...result.errors, ...result.warnings], '<inline>');
  return result.config;
}
