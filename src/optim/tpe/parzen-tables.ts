/**
 * Lookup tables a Parzen estimator (parzen.ts) builds once per fit: the distinct kernels of a
 * discrete dimension, and each kernel's choice probabilities on a categorical one.
 *
 * @module
 */

/**
 * The distinct (mu, sigma) pairs of numeric dimension `j` over `k` kernels (kernel-major
 * arrays, `nNum` numeric dims), and each kernel's index among them. Discrete kernels repeat a
 * lot (many trials share an int value), and a cell's mass costs two CDFs, so each distinct pair
 * is scored once.
 */
export function distinctPairs(
  muA: Float64Array,
  sigmaA: Float64Array,
  k: number,
  nNum: number,
  j: number,
): { of: Int32Array; mu: number[]; sigma: number[] } {
  const byMu = new Map<number, number[]>();
  const of = new Int32Array(k);
  const m: number[] = [];
  const sd: number[] = [];
  for (let i = 0; i < k; i++) {
    const mu = muA[i * nNum + j];
    const sigma = sigmaA[i * nNum + j];
    let same = byMu.get(mu);
    if (!same) {
      same = [];
      byMu.set(mu, same);
    }
    let u = same.find((v) => sd[v] === sigma);
    if (u === undefined) {
      u = m.length;
      same.push(u);
      m.push(mu);
      sd.push(sigma);
    }
    of[i] = u;
  }
  return { of, mu: m, sigma: sd };
}

/**
 * Per kernel (the `nObs` observations, then the prior), the log-probabilities and cumulative
 * probabilities of the `n` choices of categorical dimension `dim` (rows of `d` values): an
 * observation's kernel is its choice plus `priorWeight`/k spread over all choices; the prior's
 * is uniform.
 */
export function choiceTables(
  observations: ArrayLike<number>,
  d: number,
  dim: number,
  n: number,
  nObs: number,
  priorWeight: number,
): { logP: Float64Array; cum: Float64Array } {
  const k = nObs + 1;
  const logP = new Float64Array(k * n);
  const cum = new Float64Array(k * n);
  const smooth = priorWeight / k;
  // Kernels of the same choice have the same row: each is computed once (n logs per choice
  // instead of per kernel; bench/optim.ts's mixed-space `timing`), then copied.
  const done = new Int32Array(n).fill(-1);
  for (let i = 0; i < k; i++) {
    const choice = i < nObs ? (observations[i * d + dim] as number) : -1;
    const first = choice >= 0 ? (done[choice] as number) : -1;
    if (first >= 0) {
      logP.copyWithin(i * n, first * n, first * n + n);
      cum.copyWithin(i * n, first * n, first * n + n);
      continue;
    }
    if (choice >= 0) done[choice] = i;
    fillChoiceRow(logP, cum, i * n, n, choice, i === nObs ? 1 : smooth);
  }
  return { logP, cum };
}

/**
 * One kernel's row: `base` on every choice plus 1 on `choice` (none when negative: the prior),
 * normalised, as log-probabilities and cumulative probabilities from `at`.
 */
function fillChoiceRow(
  logP: Float64Array,
  cum: Float64Array,
  at: number,
  n: number,
  choice: number,
  base: number,
): void {
  const row = new Float64Array(n).fill(base);
  if (choice >= 0) row[choice] += 1;
  let sum = 0;
  for (let c = 0; c < n; c++) sum += row[c] as number;
  let run = 0;
  for (let c = 0; c < n; c++) {
    const p = (row[c] as number) / sum;
    logP[at + c] = Math.log(p);
    run += p;
    cum[at + c] = run;
  }
}
