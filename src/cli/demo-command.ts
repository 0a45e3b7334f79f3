import type { Command } from "commander";

/** `amltk demo` — placeholder until the seed sweep lands (issue 4). */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the seed sweep with tracking, then serve the dashboard")
    .action(() => {
      console.log("amltk demo: not implemented yet");
    });
}
