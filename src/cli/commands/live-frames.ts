/**
 * Ink stops drawing live frames when `CI` or `CONTINUOUS_INTEGRATION` is set (and not "0"/"false"), and reads
 * that once, when it is first imported. A dashboard on a terminal is interactive whatever the shell exports, so
 * the commands that open it call this before importing the dashboard.
 */
export function preferLiveFrames(env: NodeJS.ProcessEnv = process.env): void {
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (env[key] !== undefined) env[key] = 'false';
}
