/**
 * YAML text → plain value, with `${VAR}` interpolation applied on the parsed document and a locator that maps a
 * config path back to its line, so every later problem can name the line a human should edit.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node, Scalar } from 'yaml';
import type { ConfigPath, ConfigProblem } from './problems.js';
import { problem } from './problems.js';
import type { Env, Tokenized } from './interpolate.js';
import { resolveTokens, tokenize, typePlainScalar } from './interpolate.js';

export interface SourcePosition {
  line: number;
  column: number;
}

export interface ParsedSource {
  /** The document as plain data; undefined when the YAML itself is broken. */
  raw: unknown;
  /** Syntax errors and interpolation errors/warnings, already located. */
  problems: ConfigProblem[];
  /** Line and column of the node at `segments`, or of its closest existing ancestor. */
  locate(segments: ConfigPath): SourcePosition | undefined;
}

type Segments = Array<string | number>;

/** Paths where an unset variable is expected rather than suspicious: no provider key means the client's passes through. */
function unsetIsExpected(path: Segments): boolean {
  return path.length === 3 && path[0] === 'providers' && path[2] === 'api_key';
}

function keyText(node: unknown): string {
  if (isScalar(node)) return String(node.value);
  return String(node);
}

export function parseYamlSource(text: string, env: Env): ParsedSource {
  const lineCounter = new LineCounter();
  const tokenized = tokenize(text);
  const doc = parseDocument(tokenized.text, { lineCounter, merge: true, prettyErrors: true, uniqueKeys: true });

  const position = (offset: number | undefined): SourcePosition | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const located = (p: ConfigProblem, offset: number | undefined): ConfigProblem => {
    const pos = position(offset);
    return pos === undefined ? p : { ...p, line: pos.line, column: pos.column };
  };

  const problems: ConfigProblem[] = [];
  for (const error of doc.errors) {
    const first = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
    const fix =
      error.code === 'DUPLICATE_KEY'
        ? 'remove or rename one of the duplicate keys'
        : 'check indentation, quoting and colons near this line';
    const p = problem('error', [], `YAML syntax error: ${first}`, fix);
    const linePos = error.linePos?.[0];
    problems.push(linePos === undefined ? p : { ...p, line: linePos.line, column: linePos.col });
  }

  const locate = (segments: ConfigPath): SourcePosition | undefined => position(offsetOf(doc, segments));

  if (doc.errors.length > 0) return { raw: undefined, problems, locate };

  interpolateNode(doc.contents, [], tokenized, env, (p, offset) => problems.push(located(p, offset)));
  const raw: unknown = doc.toJS({ maxAliasCount: 1000 });
  return { raw, problems, locate };
}

type Report = (p: ConfigProblem, offset: number | undefined) => void;

/** Returns true when the node should be removed from its parent sequence (an item that was only an unset var). */
function interpolateNode(node: unknown, path: Segments, tokenized: Tokenized, env: Env, report: Report): boolean {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key)) interpolateScalar(pair.key, path, tokenized, env, report, false);
      interpolateNode(pair.value, [...path, keyText(pair.key)], tokenized, env, report);
    }
    return false;
  }
  if (isSeq(node)) {
    const drop: number[] = [];
    node.items.forEach((item, index) => {
      if (interpolateNode(item, [...path, index], tokenized, env, report)) drop.push(index);
    });
    for (const index of drop.reverse()) node.items.splice(index, 1);
    return false;
  }
  if (isScalar(node)) return interpolateScalar(node, path, tokenized, env, report, path.length > 0 && typeof path[path.length - 1] === 'number');
  return false;
}

function interpolateScalar(
  node: Scalar,
  path: Segments,
  tokenized: Tokenized,
  env: Env,
  report: Report,
  inSequence: boolean,
): boolean {
  if (typeof node.value !== 'string') return false;
  const offset = node.range?.[0];
  const original = node.value;
  if (original.includes('${')) {
    report(
      problem('warning', path, 'unfinished or invalid ${...} is kept literally', 'write ${NAME} or ${NAME:-default}; use $${ for a literal ${'),
      offset,
    );
  }
  const resolved = resolveTokens(original, tokenized, env);
  if (!resolved.interpolated) return false;
  for (const message of resolved.errors) report(problem('error', path, message, 'set the variable in the environment'), offset);
  const dropItem = inSequence && resolved.whole && resolved.unset.length > 0 && resolved.value === '';
  if (resolved.unset.length > 0 && !unsetIsExpected(path)) {
    const names = resolved.unset.map((n) => `\${${n}}`).join(', ');
    report(
      problem(
        'warning',
        path,
        `${names} ${resolved.unset.length === 1 ? 'is' : 'are'} not set; ${dropItem ? 'this entry is ignored' : 'using an empty value'}`,
        `set ${resolved.unset.join(', ')} or give a default: \${${resolved.unset[0] ?? 'VAR'}:-value}`,
      ),
      offset,
    );
  }
  node.value = resolved.whole && node.type === 'PLAIN' ? typePlainScalar(resolved.value) : resolved.value;
  return dropItem;
}

function offsetOf(doc: Document, segments: ConfigPath): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (pair === undefined) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined || item === null) break;
      offset = (item as Node).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
