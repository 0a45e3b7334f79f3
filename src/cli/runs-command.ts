import type { Command } from "commander";

/** `amltk runs ...` — placeholder until the store lands (issue 3). */
export function registerRunsCommands(_program: Command): void {}
