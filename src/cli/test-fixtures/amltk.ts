/** The `amltk` CLI from source, for tests that run it as another user: `node --import tsx amltk.ts runs list`. */
import { main } from "../main.js";

main(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
