/**
 * `amltk worker --redis URL --queue NAME [--concurrency N] [--allow DIR...]`: a long-lived
 * worker serving a `Scheduler.withQueue` sweep from any machine that reaches Redis. Each job
 * runs in a child process (limits, crash detection and process groups as on the processes
 * executor); only modules under the allowed roots (default: the working directory) and amltk's
 * own are imported. SIGTERM or SIGINT stops it gracefully (see `src/scheduling/README.md`,
 * "Queue executor"); a second signal ends it at once.
 */
import { type Command, InvalidArgumentError } from "commander";
import { startQueueWorker } from "../scheduling/executors/distributed/queue-worker.js";
import { parentRunsTsx } from "../scheduling/executors/processes.js";

/**
 * Jobs' modules may be TypeScript (a sweep started with tsx names `.ts` files): the trial
 * processes load tsx (an amltk dependency) unless this process already runs under it, which the
 * processes executor reads off `process.execArgv` when it forks.
 */
function loadTsxInTrialProcesses(): void {
  if (!parentRunsTsx()) process.execArgv.push("--import", import.meta.resolve("tsx"));
}

interface WorkerFlags {
  redis: string;
  queue: string;
  concurrency: number;
  allow?: string[];
  grace: number;
  lockSeconds: number;
  stalledInterval: number;
  prefix: string;
}

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError(
        `${flag} must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
    return n;
  };
}

function seconds(flag: string, zero = false) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (!zero && n === 0)) {
      throw new InvalidArgumentError(
        `${flag} must be a ${zero ? "non-negative" : "positive"} number of seconds, got ${JSON.stringify(v)}`,
      );
    }
    return n;
  };
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** Stops on the first SIGTERM/SIGINT, exits at once on a second one. */
function stopOnSignals(stop: () => Promise<void>): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // The exit hook of the local pool ends the trials' process groups.
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    signalled = true;
    console.log(`amltk worker: ${signal}: taking no new jobs, finishing the running ones`);
    void stop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("serve a Scheduler.withQueue sweep: run its jobs from Redis in child processes")
    .requiredOption("--redis <url>", "Redis URL, e.g. redis://127.0.0.1:6379")
    .requiredOption("--queue <name>", "queue name (the driver's withQueue({ queue }))")
    .option(
      "--concurrency <n>",
      "jobs run at once, each in its own process",
      positiveInt("--concurrency"),
      1,
    )
    .option(
      "--allow <dir>",
      "folder whose modules jobs may run (repeatable; default: the working directory)",
      collect,
    )
    .option(
      "--grace <seconds>",
      "on SIGTERM, seconds running jobs get to finish",
      seconds("--grace", true),
      30,
    )
    .option(
      "--lock-seconds <seconds>",
      "job lock duration: how soon a lost worker's job is found",
      seconds("--lock-seconds"),
      30,
    )
    .option(
      "--stalled-interval <seconds>",
      "seconds between stalled-job checks",
      seconds("--stalled-interval"),
      30,
    )
    .option("--prefix <prefix>", "BullMQ key prefix", "bull")
    .action(async (flags: WorkerFlags) => {
      loadTsxInTrialProcesses();
      const worker = await startQueueWorker({
        connection: flags.redis,
        queue: flags.queue,
        concurrency: flags.concurrency,
        allow: flags.allow,
        graceSeconds: flags.grace,
        lockSeconds: flags.lockSeconds,
        stalledIntervalSeconds: flags.stalledInterval,
        prefix: flags.prefix,
      });
      stopOnSignals(() => worker.stop());
      console.log(
        `amltk worker ${worker.id} ready: queue ${flags.queue}, concurrency ${flags.concurrency}, ` +
          `allowed roots ${worker.roots.join(", ")}`,
      );
      await worker.closed;
      console.log(`amltk worker ${worker.id} stopped`);
    });
}
