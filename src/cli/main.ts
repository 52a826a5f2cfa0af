/**
 * Entry point. `ai-gateway statusline` takes a short path of its own: a status line is run after every message of
 * the tool that shows it and must answer in well under 100 ms, so it loads neither commander nor the config, zod
 * or ink. Everything else (and `statusline --help`) goes through the commander program.
 */
const args = process.argv.slice(2);
const statusline = args[0] === 'statusline' && !args.includes('--help') && !args.includes('-h');

// No top-level await: the standalone binary bundles this file as CommonJS.
if (statusline) void import('./statusline.js').then((m) => m.runStatuslineCommand(args.slice(1)));
else void import('./run-program.js').then((m) => m.runProgram(process.argv));
