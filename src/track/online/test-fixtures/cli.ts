/** The `amltk` CLI from source (no build needed): `node --import tsx cli.ts sync --dir ...`. */
import { main } from "../../../cli/main.js";

main(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
