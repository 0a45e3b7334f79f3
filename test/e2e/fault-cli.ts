/**
 * The `amltk` CLI run from source (what `bin/amltk.js` runs from `dist/`), so the fault suite
 * tests the tree as it is without a build: `node --import tsx test/e2e/fault-cli.ts ui ...`.
 */
import { main } from "../../src/cli/main.js";

main(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
