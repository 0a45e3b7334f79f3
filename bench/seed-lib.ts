/**
 * amltk as the seed benches load it: from the TypeScript sources (the default), or from the
 * built package (`dist/`, after `npm run build`) when `AMLTK_BENCH_BUILT=1` (`bench/seed.ts
 * --built`), which is what a user who installed amltk runs. The pool's workers import the
 * seed's target through this module too and inherit the variable, so host and workers load
 * the same copy (an `importable` mark, a plugin's class, belong to one copy).
 */
import type * as PublicApi from "../src/public/index.js";
import type * as PublicWandb from "../src/public/wandb.js";

/** Whether this process loads the built package. */
export const BUILT = process.env.AMLTK_BENCH_BUILT === "1";

// Specifiers built at run time: the type checker must not need `dist/` (a fresh clone has none).
const from = BUILT ? "../dist/public" : "../src/public";
const api = (await import(`${from}/index.js`)) as typeof PublicApi;
const wandb = (await import(`${from}/wandb.js`)) as typeof PublicWandb;

export const { Scheduler, Trial, importable } = api;
export const { WandbPlugin } = wandb;
