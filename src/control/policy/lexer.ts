import { PolicyParseError } from './errors.js';

export type Operator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||' | '!' | '(' | ')' | '-';

export type Token =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'ident'; name: string; pos: number }
  | { kind: 'op'; op: Operator; pos: number }
  | { kind: 'eof'; pos: number };

/** Conditions are one-liners in YAML; a cap keeps hostile input from costing anything. */
export const MAX_CONDITION_LENGTH = 4096;

const TWO_CHAR: ReadonlySet<string> = new Set(['==', '!=', '<=', '>=', '&&', '||']);
const ONE_CHAR: ReadonlySet<string> = new Set(['<', '>', '!', '(', ')', '-']);

const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string) => isIdentStart(c) || isDigit(c);

export function tokenize(src: string): Token[] {
  if (src.length > MAX_CONDITION_LENGTH) {
    throw new PolicyParseError(`condition is longer than ${MAX_CONDITION_LENGTH} characters`, MAX_CONDITION_LENGTH);
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR.has(two)) {
      tokens.push({ kind: 'op', op: two as Operator, pos: i });
      i += 2;
    } else if (ONE_CHAR.has(c)) {
      tokens.push({ kind: 'op', op: c as Operator, pos: i });
      i++;
    } else if (isDigit(c) || (c === '.' && isDigit(src.charAt(i + 1)))) {
      const start = i;
      while (isDigit(src.charAt(i))) i++;
      if (src.charAt(i) === '.') {
        i++;
        while (isDigit(src.charAt(i))) i++;
      }
      if (isIdentStart(src.charAt(i)) || src.charAt(i) === '.') {
        throw new PolicyParseError(`malformed number '${src.slice(start, i + 1)}'`, start);
      }
      const value = Number(src.slice(start, i));
      if (!Number.isFinite(value)) throw new PolicyParseError('number is too large', start);
      tokens.push({ kind: 'number', value, pos: start });
    } else if (isIdentStart(c)) {
      const start = i;
      while (isIdentPart(src.charAt(i))) i++;
      tokens.push({ kind: 'ident', name: src.slice(start, i), pos: start });
    } else if (c === "'" || c === '"') {
      const { token, end } = readString(src, i);
      tokens.push(token);
      i = end;
    } else if (c === '=') {
      throw new PolicyParseError("unexpected '=': compare with '=='", i);
    } else if (c === '&' || c === '|') {
      throw new PolicyParseError(`unexpected '${c}': use '${c}${c}'`, i);
    } else {
      throw new PolicyParseError(`unexpected character ${JSON.stringify(c)}`, i);
    }
  }
  tokens.push({ kind: 'eof', pos: src.length });
  return tokens;
}

/** A quoted string; backslash escapes the next character (so `\'` and `\\`). */
function readString(src: string, start: number): { token: Token; end: number } {
  const quote = src.charAt(start);
  let value = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src.charAt(i);
    if (c === quote) return { token: { kind: 'string', value, pos: start }, end: i + 1 };
    if (c === '\\') {
      if (i + 1 >= src.length) break;
      value += src.charAt(i + 1);
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  throw new PolicyParseError('unterminated string', start);
}
