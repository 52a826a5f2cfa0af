/** Whether Node was started with a flag whose name contains one of `names`, on its command line or in NODE_OPTIONS. */
export function nodeFlagGiven(names: readonly string[], execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS'] ?? ''): boolean {
  const given = [...execArgv, nodeOptions].join(' ');
  return names.some((name) => given.includes(name));
}
