/**
 * `amltk worker` from source with only that command registered (what `bin/amltk.js worker`
 * runs, without loading the server, store and importers the other commands need), so the
 * queue tests start workers in a fraction of the time: `node --import tsx
 * test/e2e/queue-worker-cli.ts worker --redis URL --queue NAME`.
 */
import { Command } from "commander";
import { registerWorkerCommand } from "../../src/cli/worker-command.js";

const program = new Command("amltk");
registerWorkerCommand(program);
program.parseAsync(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
