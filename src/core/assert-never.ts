/**
 * The default branch of a switch that covers every member of a union. Adding a member without a case is a
 * compile error; a value that slips past the types anyway fails loudly instead of falling through silently.
 */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
