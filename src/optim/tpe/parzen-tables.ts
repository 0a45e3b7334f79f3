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
  for (let i = 0; i < k; i++) {
    const row = new Float64Array(n).fill(i === nObs ? 1 : smooth);
    if (i < nObs) row[observations[i * d + dim]] += 1;
    let sum = 0;
    for (let c = 0; c < n; c++) sum += row[c];
    let run = 0;
    for (let c = 0; c < n; c++) {
      const p = row[c] / sum;
      logP[i * n + c] = Math.log(p);
      run += p;
      cum[i * n + c] = run;
    }
  }
  return { logP, cum };
}
