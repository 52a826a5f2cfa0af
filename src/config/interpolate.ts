/**
 * `${VAR}` interpolation. Expressions are swapped for inert tokens before YAML parsing (so `{ key: ${VAR} }` in a
 * flow mapping still parses, and line numbers stay put), then resolved per scalar after parsing (so a value
 * containing `:` or `#` can never change the document's structure). The environment is always passed in.
 *
 * Grammar (as in docker compose):
 *   ${VAR}            value of VAR; unset → empty
 *   ${VAR:-default}   default when VAR is unset or empty      ${VAR-default}  default only when unset
 *   ${VAR:?message}   error when VAR is unset or empty        ${VAR?message}  error only when unset
 *   $${               a literal "${"
 */

export type Env = Readonly<Record<string, string | undefined>>;

type Expression =
  | { kind: 'escape' }
  | { kind: 'var'; name: string; op: '' | ':-' | '-' | ':?' | '?'; arg: string };

export interface Tokenized {
  /** The source with every expression replaced by a token of the same line. */
  text: string;
  expressions: readonly Expression[];
  tokenPattern: RegExp;
}

const EXPRESSION_RE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)([^}\n]*))?\}/g;

export function tokenize(source: string): Tokenized {
  // The token must not already occur in the file; lengthen the nonce until it is unique.
  let prefix = '__aigw_env_';
  while (source.includes(prefix)) prefix += 'x';
  const expressions: Expression[] = [];
  const text = source.replace(EXPRESSION_RE, (match: string, name?: string, op?: string, arg?: string) => {
    if (match === '$${') expressions.push({ kind: 'escape' });
    else expressions.push({ kind: 'var', name: name ?? '', op: (op ?? '') as '' | ':-' | '-' | ':?' | '?', arg: arg ?? '' });
    return `${prefix}${expressions.length - 1}_`;
  });
  return { text, expressions, tokenPattern: new RegExp(`${prefix}(\\d+)_`, 'g') };
}

export interface Resolved {
  value: string;
  /** The scalar was exactly one `${...}` expression (so YAML typing applies to the result). */
  whole: boolean;
  /** Variables that were unset and had no default (the result used ""). */
  unset: string[];
  /** `${VAR:?message}` failures. */
  errors: string[];
  /** Any `${...}` was present. */
  interpolated: boolean;
}

export function resolveTokens(value: string, tokenized: Tokenized, env: Env): Resolved {
  const unset: string[] = [];
  const errors: string[] = [];
  let count = 0;
  const pattern = new RegExp(tokenized.tokenPattern.source, 'g');
  const out = value.replace(pattern, (_match: string, index: string) => {
    count++;
    const expression = tokenized.expressions[Number(index)];
    if (expression === undefined) return '';
    if (expression.kind === 'escape') return '${';
    const current = env[expression.name];
    const missing = current === undefined;
    const empty = missing || current === '';
    switch (expression.op) {
      case ':-':
        return empty ? expression.arg : current;
      case '-':
        return missing ? expression.arg : current;
      case ':?':
      case '?':
        if (expression.op === ':?' ? empty : missing) {
          errors.push(`${expression.name} is not set${expression.arg === '' ? '' : `: ${expression.arg}`}`);
          return '';
        }
        return current ?? '';
      default:
        if (missing) unset.push(expression.name);
        return current ?? '';
    }
  });
  const whole = count === 1 && new RegExp(`^${tokenized.tokenPattern.source}$`).test(value);
  return { value: out, whole, unset, errors, interpolated: count > 0 };
}

/**
 * The YAML core-schema type of a plain scalar, applied to a value that came entirely from `${VAR}` so that
 * `port: ${PORT:-8080}` is a number and `api_key: ${KEY:-}` is null, exactly as if the text had been there.
 */
export function typePlainScalar(text: string): string | number | boolean | null {
  if (text === '' || /^(?:~|null|Null|NULL)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?[0-9]+$/.test(text)) return Number.parseInt(text, 10);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number.parseFloat(text);
  return text;
}
