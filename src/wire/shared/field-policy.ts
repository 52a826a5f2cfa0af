/**
 * Spec §8 field policy while encoding a request: hints are dropped and reported, class-2 knobs and ⚠
 * fallbacks are dropped and reported (a 400 in strict mode), output-contract changes are always a 400.
 * A tool the target has no equivalent for (a hosted or provider-specific one) is a class-2 drop: the model
 * simply is not offered it, which is no broken contract, and strict mode refuses instead.
 */
import { assertNever } from '../../core/assert-never.js';
import type { JsonObject } from './json.js';
import type { GatewayError } from '../../core/errors.js';
import type { WireFormat } from '../codec.js';
import type { ForeignTool, FormatField } from '../canonical.js';
import { invalid } from './json.js';

export class FieldPolicy {
  private readonly paths: string[] = [];

  constructor(private readonly strict: boolean) {}

  /** Class 1: bookkeeping with no effect on the output. Never an error. */
  hint(path: string): void {
    if (!this.paths.includes(path)) this.paths.push(path);
  }

  /** Class 2 or a ⚠ fallback: dropped or approximated; strict mode refuses. */
  soft(path: string, why: string): void {
    if (this.strict) throw invalid(`\`${path}\` is not supported by the upstream format (${why}); strict mode refuses to drop it.`, path);
    this.hint(path);
  }

  /** Class 3: the output contract cannot be honoured. */
  reject(path: string, why: string): GatewayError {
    return invalid(`\`${path}\` cannot be translated to the upstream format: ${why}.`, path);
  }

  /** Applies the policy to a source-format field this target has no counterpart for. */
  foreign(field: FormatField): void {
    switch (field.policy) {
      case 'hint':
      case 'unknown':
        this.hint(field.path);
        return;
      case 'sampling':
        this.soft(field.path, 'no equivalent parameter');
        return;
      case 'contract':
        throw this.reject(field.path, field.reason ?? 'it changes the shape of the output');
      default:
        assertNever(field.policy);
    }
  }

  /** A provider-specific tool goes back out as it came in its own format; to another format it is dropped. */
  foreignTool(tool: ForeignTool, target: WireFormat): JsonObject[] {
    if (tool.format === target) return [tool.raw];
    this.dropTool(tool.name);
    return [];
  }

  /** Drops a tool, named in the report (`tools[web_search]`) so the user sees which one the model lost. */
  dropTool(name: string): void {
    if (this.strict) throw invalid(`The tool \`${name}\` has no equivalent in the upstream format; strict mode refuses to drop it.`, 'tools');
    this.hint(`tools[${name}]`);
  }

  get dropped(): string[] {
    return [...this.paths];
  }
}
