/**
 * The commander program: every command's flags in one readable place; each command's work lives in
 * commands/<name>.ts and is loaded only when that command runs (the proxy never loads the client code).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../core/version.js';
import { holdYoungGeneration } from '../runtime/heap-sizing.js';
import { watchOutputs } from './closed-output.js';

export function buildProgram(): Command {
  const program = new Command('ai-gateway')
    .description('One local endpoint for your AI agents: translating proxy, live spend, budgets and an audit history.')
    .version(VERSION, '-v, --version')
    // Without this the root's start options (-c, --db, -p) swallow the same flags written after a subcommand.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const starts = new Set<Command>();
  const start = (cmd: Command): Command => {
    starts.add(cmd);
    return cmd
      .option('-c, --config <file>', 'config file (default: ./gateway.yaml if present, else embedded defaults)')
      .option('-p, --port <n>', 'port to listen on', parsePort)
      .option('--host <addr>', 'address to bind (default 127.0.0.1)')
      .option('--db <file>', 'SQLite audit file (default ./ai-gateway.db)')
      .option('--no-tui', 'print log lines instead of the dashboard')
      .option('--demo', 'simulated provider and agents: see everything work with no API keys')
      .addOption(new Option('--log-format <format>', 'log line format').choices(['pretty', 'json']).default('pretty'))
      .action(async (opts: StartFlags, self: Command) => {
        if (self.args.length > 0) unknownCommand(self);
        // Before the gateway's modules load: start.ts releases it once the gateway listens.
        holdYoungGeneration();
        // May restart the process (same pid), so before the gateway's modules load, and before stdout and stderr
        // are touched: that makes a pipe non-blocking, and the new image would keep it so when it exits.
        (await import('../runtime/memory-restart.js')).restartForMemory();
        watchOutputs();
        const { runStart } = await import('./commands/start.js');
        await runStart(opts);
      });
  };

  start(program);
  start(program.command('start').description('run the gateway (the default command)'));
  // The other commands watch their outputs from the start; `start` does so after its restart.
  program.hook('preAction', (_root, action) => {
    if (!starts.has(action)) watchOutputs();
  });

  const client = (cmd: Command): Command =>
    cmd
      .option('--url <url>', 'gateway address (default: from the config, http://127.0.0.1:8080)')
      .addOption(new Option('-p, --port <n>', "gateway port on this machine (host from the config, else 127.0.0.1)").argParser(parsePort).conflicts('url'))
      .option('-c, --config <file>', 'config file to read the address from');

  client(program.command('status').description("agents, spend and breakers of the running gateway"))
    .option('--json', 'print JSON')
    .action(async (opts: ClientFlags & { json?: boolean }) => (await import('./commands/status.js')).runStatus(opts));

  client(program.command('logs').description('recent requests; -f follows live'))
    .option('-f, --follow', 'follow new requests as they happen')
    .option('--agent <id>', 'only this agent')
    .option('--since <duration>', 'only requests newer than this (e.g. 15m, 1h, 2d)')
    .option('--limit <n>', 'how many rows', parsePositive, 50)
    .option('--json', 'print JSON lines')
    .action(async (opts: LogsFlags) => (await import('./commands/logs.js')).runLogs(opts));

  client(program.command('pause').description('pause an agent: its requests get 403 until resumed').argument('<agent>'))
    .option('-r, --resume', 'resume instead of pausing')
    .option('--reason <text>', 'why (shown to the agent and in the audit)')
    .action(async (agent: string, opts: ClientFlags & { resume?: boolean; reason?: string }) => (await import('./commands/pause.js')).runPause(agent, opts));

  client(program.command('resume').description('resume a paused agent').argument('<agent>'))
    .action(async (agent: string, opts: ClientFlags) => (await import('./commands/pause.js')).runPause(agent, { ...opts, resume: true }));

  client(program.command('budget').description('show or change an agent budget (USD; "none" removes a limit)').argument('<agent>'))
    .option('--hourly <usd>', 'rolling 60-minute limit')
    .option('--daily <usd>', 'calendar-day limit')
    .option('--total <usd>', 'lifetime limit')
    .action(async (agent: string, opts: BudgetFlags) => (await import('./commands/budget.js')).runBudget(agent, opts));

  program
    .command('export')
    .description('export the audit history from the SQLite file (works with the gateway stopped)')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--since <duration>', 'only rows newer than this (e.g. 1h, 7d)')
    .option('--agent <id>', 'only this agent')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--db <file>', 'SQLite audit file')
    .option('-c, --config <file>', 'config file to read the storage path from')
    .action(async (opts: ExportFlags) => (await import('./commands/export.js')).runExport(opts));

  program
    .command('validate')
    .description('check a config file and print each problem with its path')
    .option('-c, --config <file>', 'config file (default ./gateway.yaml)')
    .action(async (opts: { config?: string }) => (await import('./commands/validate.js')).runValidate(opts));

  program
    .command('init')
    .description('write a commented gateway.yaml to start from')
    .option('-o, --output <file>', 'where to write', 'gateway.yaml')
    .option('--force', 'overwrite an existing file')
    .action(async (opts: { output: string; force?: boolean }) => (await import('./commands/init.js')).runInit(opts));

  program
    .command('schema')
    .description('print the JSON Schema of gateway.yaml (for editor completion)')
    .action(async () => (await import('./commands/schema.js')).runSchema());

  client(program.command('tui').description('open the dashboard of a gateway already running (e.g. with --no-tui)'))
    .action(async (opts: ClientFlags) => (await import('./commands/tui.js')).runTui(opts));

  // main.ts runs `statusline` on a short path without commander; this declaration gives it --help, and runs it when
  // root options come first (`ai-gateway -c FILE statusline`).
  program
    .command('statusline')
    .description("one line for Claude Code's status line: an agent's spend this hour and today, against its budget")
    .option('--agent <id>', 'agent (default: from ANTHROPIC_BASE_URL /agents/{id}, else x-agent-id in ANTHROPIC_CUSTOM_HEADERS, else default)')
    .option('--url <url>', 'gateway address (default: the origin of ANTHROPIC_BASE_URL when it is this machine, else http://127.0.0.1:8080)')
    .option('-p, --port <n>', 'gateway port on 127.0.0.1', parsePort)
    .action(async (opts: { agent?: string; url?: string; port?: number }) => (await import('./statusline.js')).runStatusline(opts));

  // The root runs the gateway, so commander would call `ai-gateway stauts` an excess argument of `start`. Accepting
  // words here (set last: subcommands copy the setting when created) lets the root's action report an unknown
  // command with commander's own "Did you mean status?".
  program.allowExcessArguments();
  return program;
}

/** commander's unknown-command report (with its suggestion), which it only makes itself for a root without an action. */
function unknownCommand(program: Command): never {
  return (program as unknown as { unknownCommand(): never }).unknownCommand();
}

export interface StartFlags {
  config?: string;
  port?: number;
  host?: string;
  db?: string;
  tui: boolean;
  demo?: boolean;
  logFormat: 'pretty' | 'json';
}

export interface ClientFlags {
  url?: string;
  port?: number;
  config?: string;
}

export interface LogsFlags extends ClientFlags {
  follow?: boolean;
  agent?: string;
  since?: string;
  limit: number;
  json?: boolean;
}

export interface BudgetFlags extends ClientFlags {
  hourly?: string;
  daily?: string;
  total?: string;
}

export interface ExportFlags {
  format: 'jsonl' | 'csv';
  since?: string;
  agent?: string;
  output?: string;
  db?: string;
  config?: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`port must be a whole number from 0 to 65535, got "${value}"`);
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return n;
}
