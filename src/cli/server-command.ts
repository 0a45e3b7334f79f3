import type { Command } from "commander";

/** `amltk ui`, `amltk keys ...` — placeholder until the server lands (issue 5). */
export function registerServerCommands(_program: Command): void {}
