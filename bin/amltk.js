#!/usr/bin/env node
// The CLI entry: the compiled `src/cli/main.ts` (run `npm run build` first in a checkout).
import { main } from "../dist/cli/main.js";

main(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
