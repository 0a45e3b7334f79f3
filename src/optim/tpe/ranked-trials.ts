/**
 * The told trials a response-surface step may fit on (response-surface.ts), kept sorted by
 * first loss as they are told, so a step no longer filters and sorts the whole history (a sort
 * of 1,000 trials every 5th ask showed in bench/optim.ts's `timing`). The order is the one a
 * full sort gave: by first loss, ties by ask order (a total order, so no tie depends on the
 * sort's algorithm).
 *
 * @module
 */

import type { Observation } from "./group-estimators.js";

/** Told trials that pass a test, best first; {@link RankedTrials.update} takes the new ones in. */
export class RankedTrials {
  readonly #accepts: (o: Observation) => boolean;
  readonly #sorted: Observation[] = [];
  /** The told list taken in, and how much of it. */
  #source: readonly Observation[] | undefined;
  #taken = 0;

  constructor(accepts: (o: Observation) => boolean) {
    this.#accepts = accepts;
  }

  /**
   * The accepted trials of `told` (an append-only list: TPE's told trials), best first. A list
   * other than the one taken in before, or a shorter one, is taken in from scratch.
   */
  update(told: readonly Observation[]): readonly Observation[] {
    if (told !== this.#source || told.length < this.#taken) {
      this.#source = told;
      this.#taken = 0;
      this.#sorted.length = 0;
    }
    for (; this.#taken < told.length; this.#taken++) {
      const o = told[this.#taken] as Observation;
      if (this.#accepts(o)) this.#sorted.splice(this.#rankOf(o), 0, o);
    }
    return this.#sorted;
  }

  /** Where `o` goes: after every trial that sorts before it (binary search). */
  #rankOf(o: Observation): number {
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.#sorted[mid] as Observation, o)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Whether `a` sorts before `b`: a lower first loss, or an equal one and asked earlier. */
function before(a: Observation, b: Observation): boolean {
  const la = (a.losses as readonly number[])[0] as number;
  const lb = (b.losses as readonly number[])[0] as number;
  return la < lb || (la === lb && a.index < b.index);
}
