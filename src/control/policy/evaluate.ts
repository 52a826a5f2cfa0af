import type { Expr } from './parser.js';
import type { PolicyVariables } from './variables.js';

type Value = number | string | boolean;

/** Evaluates a parsed condition. The parser has checked types, so this cannot fail on a well-formed record. */
export function evaluateCondition(expr: Expr, vars: PolicyVariables): boolean {
  return value(expr, vars) === true;
}

function value(e: Expr, vars: PolicyVariables): Value {
  switch (e.type) {
    case 'literal':
      return e.value;
    case 'var':
      return vars[e.name];
    case 'not':
      return value(e.operand, vars) !== true;
    case 'logical':
      // Short-circuits like the operators it is written with.
      return e.op === '&&'
        ? value(e.left, vars) === true && value(e.right, vars) === true
        : value(e.left, vars) === true || value(e.right, vars) === true;
    case 'compare': {
      const l = value(e.left, vars);
      const r = value(e.right, vars);
      switch (e.op) {
        case '==':
          return l === r;
        case '!=':
          return l !== r;
        case '<':
          return l < r;
        case '<=':
          return l <= r;
        case '>':
          return l > r;
        case '>=':
          return l >= r;
      }
    }
  }
}
