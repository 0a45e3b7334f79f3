/**
 * A trust region around the incumbent for TPE's incumbent candidates (TuRBO-like, Eriksson et
 * al. 2019): the incumbent candidates are drawn from the best good trial's kernel, then pulled
 * toward that trial by a factor that halves after `patience` trials in a row without an
 * improvement and doubles (up to 1) on one. Late in a run with no progress, those candidates
 * search an ever smaller neighbourhood of the best point, still scored by l(x)/g(x). With
 * `restart`, a region that has sat at its floor for `patience` more trials without an
 * improvement restarts (as TuRBO's do): back to full width, and no incumbent candidates at all
 * for `restart` trials, so that the run may leave a basin it has exhausted.
 *
 * @module
 */

/** How the trust region shrinks and grows. */
export interface TrustRegionOptions {
  /** Trials in a row without an improvement of the best value before the region halves. */
  readonly patience: number;
  /**
   * Smallest factor (relative to the incumbent kernel's own spread).
   * @defaultValue 1/64
   */
  readonly min?: number;
  /**
   * Trials without incumbent candidates after the region restarts (it restarts once it has sat
   * at `min` for `patience` trials without an improvement); 0: it never restarts.
   * @defaultValue 0
   */
  readonly restart?: number;
}

/** The trust factor over the trials told, one metric (lower is better). */
export class TrustRegion {
  readonly #patience: number;
  readonly #min: number;
  readonly #restart: number;
  /** Trials left without incumbent candidates after a restart. */
  #paused = 0;
  #best = Number.POSITIVE_INFINITY;
  #stale = 0;
  /** The current factor, in [min, 1]. */
  factor = 1;

  constructor(options: TrustRegionOptions) {
    this.#patience = options.patience;
    this.#min = options.min ?? 1 / 64;
    this.#restart = options.restart ?? 0;
  }

  /** True for the `restart` trials after a restart: no incumbent candidates then. */
  get paused(): boolean {
    return this.#paused > 0;
  }

  /** Learns one told trial: its loss, or undefined for a failed (non-improving) one. */
  observe(loss: number | undefined): void {
    if (this.#paused > 0) this.#paused--;
    if (loss !== undefined && loss < this.#best) {
      if (Number.isFinite(this.#best)) this.factor = Math.min(1, 2 * this.factor);
      this.#best = loss;
      this.#stale = 0;
      return;
    }
    if (++this.#stale < this.#patience) return;
    this.#stale = 0;
    if (this.factor > this.#min) this.factor = Math.max(this.#min, this.factor / 2);
    else if (this.#restart > 0) {
      this.factor = 1;
      this.#paused = this.#restart;
    }
  }
}

/**
 * Pulls each of the `points` (n rows of `center.length` unit coordinates) toward `center` by
 * `factor` in the dimensions `contractible` marks (numeric ones; choices stay as drawn). A
 * point between two points of the unit cube stays inside it.
 */
export function contractToward(
  points: Float64Array,
  center: ArrayLike<number>,
  factor: number,
  contractible: readonly boolean[],
): void {
  const d = center.length;
  for (let p = 0; p < points.length; p += d)
    for (let j = 0; j < d; j++)
      if (contractible[j]) points[p + j] = center[j] + factor * (points[p + j] - center[j]);
}
