import { PolicyParseError } from './errors.js';
import { tokenize, type Operator, type Token } from './lexer.js';
import { STATUS_VALUES, VARIABLE_TYPES, isPolicyVariable, type PolicyVariable, type ValueType } from './variables.js';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A type-checked condition: every node's operands have the types its operator needs. */
export type Expr =
  | { type: 'literal'; value: number | string | boolean; pos: number }
  | { type: 'var'; name: PolicyVariable; pos: number }
  | { type: 'not'; operand: Expr; pos: number }
  | { type: 'logical'; op: '&&' | '||'; left: Expr; right: Expr; pos: number }
  | { type: 'compare'; op: CompareOp; left: Expr; right: Expr; pos: number };

/** Deep enough for any real condition, shallow enough that recursion can never overflow the stack. */
const MAX_DEPTH = 64;

const COMPARE_OPS: ReadonlySet<Operator> = new Set<Operator>(['==', '!=', '<', '<=', '>', '>=']);

/**
 * Parses a policy condition (grammar below) and checks its types; never evaluates code.
 *   or := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '!' unary | compare
 *   compare := operand (cmpop operand)? ; operand := number | '-' number | string | true | false | variable | '(' or ')'
 * Throws PolicyParseError with the offending position.
 */
export function parseCondition(src: string): Expr {
  return new Parser(tokenize(src)).parseTop();
}

export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case 'literal':
      return typeof e.value === 'number' ? 'number' : typeof e.value === 'string' ? 'string' : 'boolean';
    case 'var':
      return VARIABLE_TYPES[e.name];
    default:
      return 'boolean';
  }
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseTop(): Expr {
    const e = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'eof') throw new PolicyParseError(`unexpected ${describe(t)}`, t.pos);
    if (typeOf(e) !== 'boolean') {
      throw new PolicyParseError(`a condition must be true or false, e.g. 'error_rate > 0.5'`, e.pos);
    }
    return e;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isOp('||')) {
      const pos = this.next().pos;
      const right = this.parseAnd();
      left = { type: 'logical', op: '||', left: boolean(left, '||'), right: boolean(right, '||'), pos };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseUnary();
    while (this.isOp('&&')) {
      const pos = this.next().pos;
      const right = this.parseUnary();
      left = { type: 'logical', op: '&&', left: boolean(left, '&&'), right: boolean(right, '&&'), pos };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (!this.isOp('!')) return this.parseComparison();
    const pos = this.next().pos;
    this.enter(pos);
    const operand = this.parseUnary();
    this.depth--;
    return { type: 'not', operand: boolean(operand, '!'), pos };
  }

  private parseComparison(): Expr {
    const left = this.parseOperand();
    const t = this.peek();
    if (t.kind !== 'op' || !COMPARE_OPS.has(t.op)) return left;
    this.next();
    const op = t.op as CompareOp;
    const right = this.parseOperand();
    const after = this.peek();
    if (after.kind === 'op' && COMPARE_OPS.has(after.op)) {
      throw new PolicyParseError(`comparisons cannot be chained; join them with '&&'`, after.pos);
    }
    checkComparison(op, left, right, t.pos);
    return { type: 'compare', op, left, right, pos: t.pos };
  }

  private parseOperand(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { type: 'literal', value: t.value, pos: t.pos };
      case 'string':
        return { type: 'literal', value: t.value, pos: t.pos };
      case 'ident':
        if (t.name === 'true' || t.name === 'false') return { type: 'literal', value: t.name === 'true', pos: t.pos };
        if (isPolicyVariable(t.name)) return { type: 'var', name: t.name, pos: t.pos };
        throw new PolicyParseError(
          `unknown variable '${t.name}'; known: ${Object.keys(VARIABLE_TYPES).join(', ')}`,
          t.pos,
        );
      case 'op':
        if (t.op === '-') {
          const n = this.next();
          if (n.kind !== 'number') throw new PolicyParseError(`expected a number after '-'`, n.pos);
          return { type: 'literal', value: -n.value, pos: t.pos };
        }
        if (t.op === '(') {
          this.enter(t.pos);
          const inner = this.parseOr();
          const close = this.next();
          if (close.kind !== 'op' || close.op !== ')') {
            throw new PolicyParseError(`expected ')' to close the '(' at column ${t.pos + 1}`, close.pos);
          }
          this.depth--;
          return inner;
        }
        throw new PolicyParseError(`unexpected ${describe(t)}`, t.pos);
      case 'eof':
        throw new PolicyParseError('unexpected end of condition', t.pos);
    }
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_DEPTH) throw new PolicyParseError(`nested more than ${MAX_DEPTH} levels deep`, pos);
  }

  private peek(): Token {
    // The lexer always ends with eof, and next() never moves past it.
    return this.tokens[this.i] ?? { kind: 'eof', pos: 0 };
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private isOp(op: Operator): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.op === op;
  }
}

function boolean(e: Expr, op: string): Expr {
  if (typeOf(e) !== 'boolean') {
    throw new PolicyParseError(`'${op}' needs a true/false operand, not a ${typeOf(e)}; compare it first`, e.pos);
  }
  return e;
}

function checkComparison(op: CompareOp, left: Expr, right: Expr, pos: number): void {
  const lt = typeOf(left);
  const rt = typeOf(right);
  if (lt !== rt) throw new PolicyParseError(`cannot compare a ${lt} with a ${rt}`, pos);
  if (lt !== 'number' && op !== '==' && op !== '!=') {
    throw new PolicyParseError(`'${op}' compares numbers; ${lt}s only support == and !=`, pos);
  }
  for (const [a, b] of [
    [left, right],
    [right, left],
  ] as const) {
    if (a.type === 'var' && a.name === 'status' && b.type === 'literal' && !STATUS_VALUES.includes(String(b.value))) {
      throw new PolicyParseError(`status is one of ${STATUS_VALUES.join(', ')}`, b.pos);
    }
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'number':
      return `number ${t.value}`;
    case 'string':
      return `string ${JSON.stringify(t.value)}`;
    case 'ident':
      return `'${t.name}'`;
    case 'op':
      return `'${t.op}'`;
    case 'eof':
      return 'end of condition';
  }
}
