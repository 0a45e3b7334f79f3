/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations: what CMA-ES needs
 * each generation to sample from N(m, σ²C), for the few dozen dimensions of a search space.
 *
 * @module
 */

/** Sweeps before giving up; Jacobi converges quadratically, a handful suffice for n ≤ 100. */
const MAX_SWEEPS = 64;

/**
 * Eigenvalues and eigenvectors of the symmetric `n × n` matrix `a` (row-major, not changed):
 * `values[k]` with its eigenvector in column `k` of `vectors` (row-major), so that
 * `a = V diag(values) Vᵀ`.
 *
 * @example
 * ```ts
 * const { values } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2); // [1, 3] in some order
 * ```
 */
export function symmetricEigen(
  a: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        rotate(m, v, n, p, q, c, s);
      }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => m[i * n + i]), vectors: v };
}

/** Applies the Jacobi rotation (p, q, c, s) to m (both sides) and accumulates it in v. */
function rotate(
  m: Float64Array,
  v: Float64Array,
  n: number,
  p: number,
  q: number,
  c: number,
  s: number,
): void {
  for (let k = 0; k < n; k++) {
    const mkp = m[k * n + p];
    const mkq = m[k * n + q];
    m[k * n + p] = c * mkp - s * mkq;
    m[k * n + q] = s * mkp + c * mkq;
  }
  for (let k = 0; k < n; k++) {
    const mpk = m[p * n + k];
    const mqk = m[q * n + k];
    m[p * n + k] = c * mpk - s * mqk;
    m[q * n + k] = s * mpk + c * mqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p];
    const vkq = v[k * n + q];
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}
