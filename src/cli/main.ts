import { Command } from "commander";
import { VERSION } from "../shared/version.js";
import { registerDemoCommand } from "./demo-command.js";
import { registerExportCommands } from "./export-command.js";
import { registerImportCommands } from "./import-command.js";
import { registerRunsCommands } from "./runs-command.js";
import { registerServerCommands } from "./server-command.js";
import { registerWorkerCommand } from "./worker-command.js";

/** Builds the `amltk` command line; each feature registers its own sub-commands. */
export function buildProgram(): Command {
  const program = new Command("amltk")
    .description("AutoML toolkit: schedule trials, optimize, track runs W&B-style")
    .version(VERSION);
  registerDemoCommand(program);
  registerExportCommands(program);
  registerImportCommands(program);
  registerRunsCommands(program);
  registerServerCommands(program);
  registerWorkerCommand(program);
  return program;
}

/** Runs the CLI with `argv` (as `process.argv`). */
export async function main(argv: readonly string[]): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}
