/** A trial module that cannot be loaded: importing it throws (the import-failure tests). */
import type { Trial } from "../trial.js";

export const evaluate = (trial: Trial) => trial.success({ cost: 0 });

throw new Error("broken at import");
