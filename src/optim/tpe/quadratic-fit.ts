/**
 * A quadratic model of the objective fitted by ridge-regularised least squares, and its
 * minimizer in a box: the numerical core of TPE's response-surface step (response-surface.ts).
 *
 * The systems are tiny (at most {@link MAX_FULL_DIMS} + 1 choose 2 ≈ 66 unknowns, 28 in 6-d),
 * so a dozen lines of Cholesky on the normal equations do the work; a linear-algebra package
 * would add a dependency (and, for the ones with native or WASM kernels, a start-up cost) for
 * one solve every few asks.
 *
 * @module
 */

/** Full quadratics up to this many dimensions; beyond, only separable ones (cost m·p²). */
export const MAX_FULL_DIMS = 10;

/** Ridge added to the unit diagonal of the column-scaled normal equations. */
const RIDGE = 1e-10;
/** A Cholesky pivot below this (after scaling) marks a rank-deficient design: no model. */
const DEGENERATE_PIVOT = 1e-7;

/** How the model couples the dimensions. */
export type QuadraticKind = "full" | "separable";

/** q(x) = c + gᵀz + ½ zᵀHz with z = x − center. */
export interface QuadraticModel {
  readonly center: Float64Array;
  readonly gradient: Float64Array;
  /** Row-major d×d, symmetric (diagonal only for a separable model). */
  readonly hessian: Float64Array;
}

/** Unknowns of a model in `d` dimensions. */
export function parameterCount(kind: QuadraticKind, d: number): number {
  return kind === "full" ? ((d + 1) * (d + 2)) / 2 : 2 * d + 1;
}

/**
 * Fits a quadratic to `points` (m rows of d coordinates, flat) and their `values` by least
 * squares with weights `weights`, centred at `center`; undefined when the points do not
 * determine the model (too few, or on a lower-dimensional set) or the fit is not finite.
 */
export function fitQuadratic(
  points: Float64Array,
  values: readonly number[],
  weights: readonly number[],
  center: Float64Array,
  kind: QuadraticKind,
): QuadraticModel | undefined {
  const d = center.length;
  const m = values.length;
  const p = parameterCount(kind, d);
  // A coordinate every point shares with the centre gives an all-zero column, whose diagonal
  // solveScaled rejects: known before the m·p² sums (an int every fitted trial agrees on, as
  // in bench/optim.ts's mixed space, made every step such a fit).
  if (m < p || sharedCoordinate(points, center, m)) return undefined;
  const { normal, rhs } = normalEquations(points, values, weights, center, kind, p);
  const coefficients = solveScaled(normal, rhs, p);
  if (coefficients === undefined) return undefined;
  return modelOf(coefficients, center, kind);
}

/**
 * XᵀWX (lower triangle) and XᵀWy of the points' feature rows X. Four points per pass over the
 * matrix (a quarter of the loads and stores; bench/tpe-kernels-time.ts's surface variants),
 * each sum still taken point by point in order, so it rounds as one point per pass did.
 */
function normalEquations(
  points: Float64Array,
  values: readonly number[],
  weights: readonly number[],
  center: Float64Array,
  kind: QuadraticKind,
  p: number,
): { normal: Float64Array; rhs: Float64Array } {
  const d = center.length;
  const m = values.length;
  const normal = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  const r0 = new Float64Array(p);
  const r1 = new Float64Array(p);
  const r2 = new Float64Array(p);
  const r3 = new Float64Array(p);
  let i = 0;
  for (; i + 3 < m; i += 4) {
    features(points, i * d, center, kind, r0);
    features(points, (i + 1) * d, center, kind, r1);
    features(points, (i + 2) * d, center, kind, r2);
    features(points, (i + 3) * d, center, kind, r3);
    const [w0, w1, w2, w3] = [weights[i], weights[i + 1], weights[i + 2], weights[i + 3]];
    const [v0, v1, v2, v3] = [values[i], values[i + 1], values[i + 2], values[i + 3]];
    for (let a = 0; a < p; a++) {
      const a0 = (w0 as number) * (r0[a] as number);
      const a1 = (w1 as number) * (r1[a] as number);
      const a2 = (w2 as number) * (r2[a] as number);
      const a3 = (w3 as number) * (r3[a] as number);
      rhs[a] =
        (rhs[a] as number) +
        a0 * (v0 as number) +
        a1 * (v1 as number) +
        a2 * (v2 as number) +
        a3 * (v3 as number);
      const at = a * p;
      for (let b = 0; b <= a; b++)
        normal[at + b] =
          (normal[at + b] as number) +
          a0 * (r0[b] as number) +
          a1 * (r1[b] as number) +
          a2 * (r2[b] as number) +
          a3 * (r3[b] as number);
    }
  }
  for (; i < m; i++) {
    features(points, i * d, center, kind, r0);
    const w = weights[i] as number;
    for (let a = 0; a < p; a++) {
      const wa = w * (r0[a] as number);
      rhs[a] = (rhs[a] as number) + wa * (values[i] as number);
      for (let b = 0; b <= a; b++)
        normal[a * p + b] = (normal[a * p + b] as number) + wa * (r0[b] as number);
    }
  }
  return { normal, rhs };
}

/** Whether some coordinate of all `m` points equals the centre's (d = center.length). */
function sharedCoordinate(points: Float64Array, center: Float64Array, m: number): boolean {
  const d = center.length;
  for (let j = 0; j < d; j++) {
    let i = 0;
    while (i < m && points[i * d + j] === center[j]) i++;
    if (i === m) return true;
  }
  return false;
}

/** The feature row of one point: 1, z, then z_j² (separable) or z_a z_b for b ≤ a (full). */
function features(
  points: Float64Array,
  at: number,
  center: Float64Array,
  kind: QuadraticKind,
  out: Float64Array,
): void {
  const d = center.length;
  out[0] = 1;
  for (let j = 0; j < d; j++) out[1 + j] = points[at + j] - center[j];
  let k = 1 + d;
  if (kind === "separable") {
    for (let j = 0; j < d; j++) out[k++] = out[1 + j] * out[1 + j];
    return;
  }
  for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) out[k++] = out[1 + a] * out[1 + b];
}

/**
 * Solves the symmetric system (lower triangle given) after scaling it to a unit diagonal
 * (so the ridge and the degeneracy test do not depend on the features' magnitudes).
 */
function solveScaled(normal: Float64Array, rhs: Float64Array, p: number): Float64Array | undefined {
  const scale = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    const diag = normal[a * p + a];
    if (!(diag > 0) || !Number.isFinite(diag)) return undefined;
    scale[a] = 1 / Math.sqrt(diag);
  }
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) normal[a * p + b] *= scale[a] * scale[b];
    normal[a * p + a] += RIDGE;
    rhs[a] *= scale[a];
  }
  const l = choleskyOf(normal, p, DEGENERATE_PIVOT);
  if (l === undefined) return undefined;
  const x = backSubstitute(l, forwardSubstitute(l, rhs, p), p);
  for (let a = 0; a < p; a++) {
    x[a] *= scale[a];
    if (!Number.isFinite(x[a])) return undefined;
  }
  return x;
}

/** Lower Cholesky factor of a symmetric matrix (lower triangle read), or undefined at a pivot not above `minPivot`. */
function choleskyOf(m: Float64Array, p: number, minPivot: number): Float64Array | undefined {
  const l = new Float64Array(p * p);
  for (let a = 0; a < p; a++)
    for (let b = 0; b <= a; b++) {
      let sum = m[a * p + b];
      for (let k = 0; k < b; k++) sum -= l[a * p + k] * l[b * p + k];
      if (a !== b) l[a * p + b] = sum / l[b * p + b];
      else if (!(sum > minPivot)) return undefined;
      else l[a * p + a] = Math.sqrt(sum);
    }
  return l;
}

/** y with L y = b. */
function forwardSubstitute(l: Float64Array, b: Float64Array, p: number): Float64Array {
  const y = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    let sum = b[a];
    for (let k = 0; k < a; k++) sum -= l[a * p + k] * y[k];
    y[a] = sum / l[a * p + a];
  }
  return y;
}

/** x with Lᵀ x = y. */
function backSubstitute(l: Float64Array, y: Float64Array, p: number): Float64Array {
  const x = new Float64Array(p);
  for (let a = p - 1; a >= 0; a--) {
    let sum = y[a];
    for (let k = a + 1; k < p; k++) sum -= l[k * p + a] * x[k];
    x[a] = sum / l[a * p + a];
  }
  return x;
}

/** The gradient and Hessian at the centre from the fitted coefficients. */
function modelOf(c: Float64Array, center: Float64Array, kind: QuadraticKind): QuadraticModel {
  const d = center.length;
  const gradient = c.slice(1, 1 + d);
  const hessian = new Float64Array(d * d);
  let k = 1 + d;
  if (kind === "separable") {
    for (let j = 0; j < d; j++) hessian[j * d + j] = 2 * c[k++];
  } else {
    for (let a = 0; a < d; a++)
      for (let b = 0; b <= a; b++) {
        const v = c[k++];
        if (a === b) hessian[a * d + a] = 2 * v;
        else hessian[a * d + b] = hessian[b * d + a] = v;
      }
  }
  return { center: Float64Array.from(center), gradient, hessian };
}

/** Sweeps of coordinate descent in {@link minimizeInBox} (slow along an ill-conditioned valley). */
const SWEEPS = 1000;

/**
 * The model's minimizer in the box [lo, hi]: a convex model's unconstrained minimum (the Newton
 * step, exact however ill-conditioned) when it lies in the box; otherwise coordinate descent
 * from the centre, each step minimizing the quadratic exactly along one coordinate within the
 * box (at an end when the curvature there is not positive), so the model value never rises:
 * for a convex model it converges to the box-constrained minimum, for another to a point no
 * worse than the centre.
 */
export function minimizeInBox(
  model: QuadraticModel,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
): Float64Array {
  const { center, gradient: g, hessian: h } = model;
  const d = center.length;
  const newton = newtonPoint(model);
  if (newton?.every((x, j) => x >= lo[j] && x <= hi[j])) return newton;
  const z = new Float64Array(d);
  for (let j = 0; j < d; j++) z[j] = clamp(0, lo[j] - center[j], hi[j] - center[j]);
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    let moved = 0;
    for (let j = 0; j < d; j++) {
      const a = lo[j] - center[j];
      const b = hi[j] - center[j];
      // q along z_j: ½ h_jj t² + s t + const, with s the slope of the other terms.
      let s = g[j];
      for (let k = 0; k < d; k++) if (k !== j) s += h[j * d + k] * z[k];
      const hjj = h[j * d + j];
      const next =
        hjj > 0
          ? clamp(-s / hjj, a, b)
          : 0.5 * hjj * a * a + s * a <= 0.5 * hjj * b * b + s * b
            ? a
            : b;
      moved = Math.max(moved, Math.abs(next - z[j]));
      z[j] = next;
    }
    if (moved < 1e-12) break;
  }
  for (let j = 0; j < d; j++) z[j] += center[j];
  return z;
}

/** A convex model's unconstrained minimizer, centre − H⁻¹g; undefined for another model. */
function newtonPoint(model: QuadraticModel): Float64Array | undefined {
  const d = model.center.length;
  const l = choleskyOf(model.hessian, d, 0);
  if (l === undefined) return undefined;
  const step = backSubstitute(l, forwardSubstitute(l, model.gradient, d), d);
  return model.center.map((c, j) => c - (step[j] as number));
}

/** Whether the model's Hessian is positive definite (its Cholesky factor exists). */
export function isConvex(model: QuadraticModel): boolean {
  return choleskyOf(model.hessian, model.center.length, 0) !== undefined;
}

/** The model's value at x (for tests and checks). */
export function modelValue(model: QuadraticModel, x: ArrayLike<number>): number {
  const { center, gradient: g, hessian: h } = model;
  const d = center.length;
  let v = 0;
  for (let a = 0; a < d; a++) {
    const za = x[a] - center[a];
    v += g[a] * za;
    for (let b = 0; b < d; b++) v += 0.5 * za * h[a * d + b] * (x[b] - center[b]);
  }
  return v;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
