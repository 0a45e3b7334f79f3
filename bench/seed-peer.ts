/**
 * The seed bench's peer: the same scenario with Python amltk and an offline wandb run per trial
 * (`../shared/peers/amltk_seed_bench.py`), run side by side when a Python with both is there;
 * otherwise the reference number, printed as a reference with where it came from.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The peer's overhead measured once in this project (see the README next to the script). */
const REFERENCE = {
  overheadMsPerTrial: 296,
  source:
    "../shared/peers/README.md: amltk_seed_bench.py, Python amltk + wandb offline, " +
    "Scheduler.with_processes(2), 20 trials x 10 logs, measured 2026-12-01 on the project's " +
    "machine; not measured by this run",
};

/** What the seed bench prints for the peer: a measurement, or the reference and why. */
export type PeerResult =
  | {
      measured: true;
      python: string;
      trials: number;
      workers: number;
      overheadMsPerTrial: number;
      plainS: number;
      trackedS: number;
    }
  | { measured: false; reason: string; reference: typeof REFERENCE };

/** Where the peer script and its Python are: env overrides, else the shared checkout. */
function peerSetup(root: string) {
  return {
    script:
      process.env.AMLTK_PEER_SCRIPT ?? join(root, "..", "shared", "peers", "amltk_seed_bench.py"),
    python: process.env.AMLTK_PEER_PYTHON ?? "python3",
    amltkSrc: process.env.AMLTK_SRC,
  };
}

/** Why the peer cannot run here, or null when it can (the script, AMLTK_SRC, both imports). */
function missing(setup: ReturnType<typeof peerSetup>): string | null {
  if (!existsSync(setup.script)) return `no peer script at ${setup.script}`;
  if (!setup.amltkSrc) return "AMLTK_SRC is not set (the src/ folder of an automl/amltk checkout)";
  const probe = spawnSync(
    setup.python,
    ["-c", "import sys; sys.path.insert(0, sys.argv[1]); import amltk, wandb", setup.amltkSrc],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (probe.error) return `${setup.python} cannot run: ${probe.error.message}`;
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split("\n").pop() ?? "";
    return `${setup.python} cannot import amltk and wandb (${last})`;
  }
  return null;
}

/**
 * Runs the peer on `trials` trials and `workers` processes when it can, else returns the
 * reference with the reason. Its overhead uses the same definition as ours.
 *
 * @example
 * ```ts
 * const peer = runPeer(repoRoot, 20, 2);
 * if (!peer.measured) console.log(peer.reason, peer.reference.source);
 * ```
 */
export function runPeer(root: string, trials: number, workers: number): PeerResult {
  const setup = peerSetup(root);
  const why = missing(setup);
  if (why !== null) return { measured: false, reason: why, reference: REFERENCE };
  // Python amltk writes a folder per trial into its working directory: give it a scratch one.
  const scratch = mkdtempSync(join(tmpdir(), "amltk-seed-peer-"));
  const out = spawnSync(setup.python, [resolve(setup.script), String(trials), String(workers)], {
    encoding: "utf8",
    timeout: 600_000,
    cwd: scratch,
    env: { ...process.env, AMLTK_SRC: resolve(setup.amltkSrc ?? "") },
  });
  rmSync(scratch, { recursive: true, force: true });
  const line = out.stdout?.trim().split("\n").pop() ?? "";
  let r: { plain_s?: number; tracked_s?: number; overhead_per_trial_s?: number };
  try {
    r = JSON.parse(line);
  } catch {
    const err = (out.stderr ?? out.error?.message ?? "").trim().split("\n").pop();
    return { measured: false, reason: `the peer failed: ${err}`, reference: REFERENCE };
  }
  const plainS = r.plain_s ?? Number.NaN;
  const trackedS = r.tracked_s ?? Number.NaN;
  // From the two walls (the script rounds its own overhead to whole milliseconds).
  const overhead = ((trackedS - plainS) * workers * 1000) / trials;
  return {
    measured: true,
    python: setup.python,
    trials,
    workers,
    plainS,
    trackedS,
    overheadMsPerTrial: Math.round(overhead * 10) / 10,
  };
}
