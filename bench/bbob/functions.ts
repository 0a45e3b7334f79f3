/**
 * The 24 noiseless BBOB functions (COCO's `bbob` suite), written from their published
 * definitions (Hansen et al. 2009, INRIA RR-6829), on [-5, 5]^D. Each builder takes an
 * {@link Instance} (its x_opt, f_opt and rotations; see transforms.ts for the instance scheme)
 * and returns the function, whose minimum is f_opt (at x_opt, except where the report places
 * it elsewhere: f5 at the box's corner, f8/f9/f19 near 1, f20/f24 at scaled signs).
 *
 * @module
 */

import {
  fpen,
  Instance,
  lambda,
  mul,
  scale,
  sub,
  tasy,
  tosz,
  toszVec,
  type Vec,
} from "./transforms.js";

type Fn = (x: readonly number[]) => number;
type Builder = (inst: Instance) => Fn;

const TWO_PI = 2 * Math.PI;

function sumSq(z: Vec): number {
  let s = 0;
  for (const v of z) s += v * v;
  return s;
}

function rastrigin(z: Vec): number {
  let c = 0;
  for (const v of z) c += Math.cos(TWO_PI * v);
  return 10 * (z.length - c) + sumSq(z);
}

function rosenbrockSum(z: Vec): number {
  let s = 0;
  for (let i = 0; i < z.length - 1; i++) s += 100 * (z[i] * z[i] - z[i + 1]) ** 2 + (z[i] - 1) ** 2;
  return s;
}

/** Σ 10^(6 (i-1)/(D-1)) z_i². */
function ellipsoid(z: Vec): number {
  const d = z.length;
  let s = 0;
  for (let i = 0; i < d; i++) s += 10 ** ((6 * i) / Math.max(1, d - 1)) * z[i] * z[i];
  return s;
}

const f1: Builder = (I) => (x) => sumSq(sub(x, I.xopt)) + I.fopt;

const f2: Builder = (I) => (x) => ellipsoid(toszVec(sub(x, I.xopt))) + I.fopt;

const f3: Builder = (I) => {
  const l = lambda(10, I.d);
  return (x) => rastrigin(scale(l, tasy(toszVec(sub(x, I.xopt)), 0.2))) + I.fopt;
};

const f4: Builder = (I) => {
  // Büche-Rastrigin: x_opt's odd coordinates (1-based) are positive.
  const xopt = I.xopt.map((v, i) => (i % 2 === 0 ? Math.abs(v) : v));
  const d = I.d;
  return (x) => {
    const z = toszVec(sub(x, xopt)).map((v, i) => {
      const s = 10 ** (0.5 * (d > 1 ? i / (d - 1) : 1));
      return v > 0 && i % 2 === 0 ? 10 * s * v : s * v;
    });
    return rastrigin(z) + 100 * fpen(x) + I.fopt;
  };
};

const f5: Builder = (I) => {
  const d = I.d;
  const xopt = I.signs().map((s) => 5 * s);
  const s = xopt.map((v, i) => Math.sign(v) * 10 ** (d > 1 ? i / (d - 1) : 1));
  return (x) => {
    let f = 0;
    for (let i = 0; i < d; i++) {
      const z = xopt[i] * x[i] < 25 ? x[i] : xopt[i];
      f += 5 * Math.abs(s[i]) - s[i] * z;
    }
    return f + I.fopt;
  };
};

const f6: Builder = (I) => {
  const l = lambda(10, I.d);
  return (x) => {
    const z = mul(I.Q, scale(l, mul(I.R, sub(x, I.xopt))));
    let s = 0;
    for (let i = 0; i < z.length; i++) s += (z[i] * I.xopt[i] > 0 ? 100 : 1) * z[i] * z[i];
    return tosz(s) ** 0.9 + I.fopt;
  };
};

const f7: Builder = (I) => {
  const l = lambda(10, I.d);
  const d = I.d;
  return (x) => {
    const zh = scale(l, mul(I.R, sub(x, I.xopt)));
    const zt = zh.map((v) =>
      Math.abs(v) > 0.5 ? Math.floor(0.5 + v) : Math.floor(0.5 + 10 * v) / 10,
    );
    const z = mul(I.Q, zt);
    let s = 0;
    for (let i = 0; i < d; i++) s += 10 ** ((2 * i) / Math.max(1, d - 1)) * z[i] * z[i];
    return 0.1 * Math.max(Math.abs(zh[0]) / 1e4, s) + fpen(x) + I.fopt;
  };
};

const f8: Builder = (I) => {
  const xopt = I.xopt.map((v) => 0.75 * v); // in [-3, 3]
  const c = Math.max(1, Math.sqrt(I.d) / 8);
  return (x) => rosenbrockSum(sub(x, xopt).map((v) => c * v + 1)) + I.fopt;
};

const f9: Builder = (I) => {
  const c = Math.max(1, Math.sqrt(I.d) / 8);
  return (x) => rosenbrockSum(mul(I.R, Float64Array.from(x)).map((v) => c * v + 0.5)) + I.fopt;
};

const f10: Builder = (I) => (x) => ellipsoid(toszVec(mul(I.R, sub(x, I.xopt)))) + I.fopt;

const f11: Builder = (I) => (x) => {
  const z = toszVec(mul(I.R, sub(x, I.xopt)));
  return 1e6 * z[0] * z[0] + sumSq(z) - z[0] * z[0] + I.fopt;
};

const f12: Builder = (I) => (x) => {
  const z = mul(I.R, tasy(mul(I.R, sub(x, I.xopt)), 0.5));
  return z[0] * z[0] + 1e6 * (sumSq(z) - z[0] * z[0]) + I.fopt;
};

const f13: Builder = (I) => {
  const l = lambda(10, I.d);
  return (x) => {
    const z = mul(I.Q, scale(l, mul(I.R, sub(x, I.xopt))));
    return z[0] * z[0] + 100 * Math.sqrt(sumSq(z) - z[0] * z[0]) + I.fopt;
  };
};

const f14: Builder = (I) => (x) => {
  const z = mul(I.R, sub(x, I.xopt));
  const d = z.length;
  let s = 0;
  for (let i = 0; i < d; i++) s += Math.abs(z[i]) ** (2 + (4 * i) / Math.max(1, d - 1));
  return Math.sqrt(s) + I.fopt;
};

const f15: Builder = (I) => {
  const l = lambda(10, I.d);
  return (x) => {
    const inner = tasy(toszVec(mul(I.R, sub(x, I.xopt))), 0.2);
    return rastrigin(mul(I.R, scale(l, mul(I.Q, inner)))) + I.fopt;
  };
};

/** Σ_{k=0}^{11} 2^-k cos(2π 3^k (z + ½)), and its value at z = 0 (f0). */
function weierstrassTerm(z: number): number {
  let s = 0;
  for (let k = 0; k < 12; k++) s += 0.5 ** k * Math.cos(TWO_PI * 3 ** k * (z + 0.5));
  return s;
}
const WEIERSTRASS_F0 = weierstrassTerm(0);

const f16: Builder = (I) => {
  const l = lambda(0.01, I.d);
  const d = I.d;
  return (x) => {
    const z = mul(I.R, scale(l, mul(I.Q, toszVec(mul(I.R, sub(x, I.xopt))))));
    let s = 0;
    for (const v of z) s += weierstrassTerm(v);
    return 10 * (s / d - WEIERSTRASS_F0) ** 3 + (10 / d) * fpen(x) + I.fopt;
  };
};

function schaffers(conditioning: number): Builder {
  return (I) => {
    const l = lambda(conditioning, I.d);
    const d = I.d;
    return (x) => {
      const z = scale(l, mul(I.Q, tasy(mul(I.R, sub(x, I.xopt)), 0.5)));
      let s = 0;
      for (let i = 0; i < d - 1; i++) {
        const si = Math.sqrt(z[i] * z[i] + z[i + 1] * z[i + 1]);
        s += Math.sqrt(si) + Math.sqrt(si) * Math.sin(50 * si ** 0.2) ** 2;
      }
      return (s / Math.max(1, d - 1)) ** 2 + 10 * fpen(x) + I.fopt;
    };
  };
}

const f19: Builder = (I) => {
  const c = Math.max(1, Math.sqrt(I.d) / 8);
  const d = I.d;
  return (x) => {
    const z = mul(I.R, Float64Array.from(x)).map((v) => c * v + 0.5);
    let f = 0;
    for (let i = 0; i < d - 1; i++) {
      const s = 100 * (z[i] * z[i] - z[i + 1]) ** 2 + (z[i] - 1) ** 2;
      f += s / 4000 - Math.cos(s);
    }
    return (10 * f) / Math.max(1, d - 1) + 10 + I.fopt;
  };
};

const f20: Builder = (I) => {
  const signs = I.signs();
  const xopt = signs.map((s) => (4.2096874633 / 2) * s);
  const l = lambda(10, I.d);
  const d = I.d;
  return (x) => {
    const xh = Float64Array.from(x, (v, i) => 2 * signs[i] * v);
    const zh = Float64Array.from(xh);
    for (let i = 1; i < d; i++) zh[i] = xh[i] + 0.25 * (xh[i - 1] - 2 * Math.abs(xopt[i - 1]));
    const z = zh.map((v, i) => 100 * (l[i] * (v - 2 * Math.abs(xopt[i])) + 2 * Math.abs(xopt[i])));
    let s = 0;
    for (const v of z) s += v * Math.sin(Math.sqrt(Math.abs(v)));
    return -s / (100 * d) + 4.189828872724339 + 100 * fpen(z.map((v) => v / 100)) + I.fopt;
  };
};

function gallagher(peaks: number, firstAlpha: number, spread: number): Builder {
  return (I) => {
    const d = I.d;
    const alphas = I.permutation(peaks - 1).map((j) => 1000 ** ((2 * j) / (peaks - 2)));
    const peak = Array.from({ length: peaks }, (_, i) => {
      const alpha = i === 0 ? firstAlpha : alphas[i - 1];
      const order = I.permutation(d);
      const diag = lambda(alpha, d);
      const c = Float64Array.from(order, (o) => diag[o] / alpha ** 0.25);
      const bound = i === 0 ? 0.8 * spread : spread;
      const y = Float64Array.from({ length: d }, () => I.rng.uniform(-bound, bound));
      const w = i === 0 ? 10 : 1.1 + (8 * (i - 1)) / (peaks - 2);
      return { c, y: mul(I.R, y), w };
    });
    return (x) => {
      const rx = mul(I.R, Float64Array.from(x));
      let best = 0;
      for (const p of peak) {
        let q = 0;
        for (let j = 0; j < d; j++) q += p.c[j] * (rx[j] - p.y[j]) ** 2;
        best = Math.max(best, p.w * Math.exp(-q / (2 * d)));
      }
      return tosz(10 - best) ** 2 + fpen(x) + I.fopt;
    };
  };
}

const f23: Builder = (I) => {
  const l = lambda(100, I.d);
  const d = I.d;
  return (x) => {
    const z = mul(I.Q, scale(l, mul(I.R, sub(x, I.xopt))));
    let prod = 1;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 1; j <= 32; j++) {
        const t = 2 ** j * z[i];
        s += Math.abs(t - Math.round(t)) / 2 ** j;
      }
      prod *= (1 + (i + 1) * s) ** (10 / d ** 1.2);
    }
    return (10 / (d * d)) * prod - 10 / (d * d) + fpen(x) + I.fopt;
  };
};

const f24: Builder = (I) => {
  const d = I.d;
  const mu0 = 2.5;
  const s = 1 - 1 / (2 * Math.sqrt(d + 20) - 8.2);
  const mu1 = -Math.sqrt((mu0 * mu0 - 1) / s);
  const signs = I.signs();
  const l = lambda(100, d);
  return (x) => {
    const xh = Float64Array.from(x, (v, i) => 2 * signs[i] * v);
    let a = 0;
    let b = 0;
    for (const v of xh) {
      a += (v - mu0) ** 2;
      b += (v - mu1) ** 2;
    }
    const z = mul(
      I.Q,
      scale(
        l,
        mul(
          I.R,
          xh.map((v) => v - mu0),
        ),
      ),
    );
    let c = 0;
    for (const v of z) c += Math.cos(TWO_PI * v);
    return Math.min(a, d + s * b) + 10 * (d - c) + 1e4 * fpen(x) + I.fopt;
  };
};

/** The 24 functions by id (1-based), with COCO's names. */
export const BBOB: readonly {
  readonly id: number;
  readonly name: string;
  readonly build: Builder;
}[] = [
  { id: 1, name: "sphere", build: f1 },
  { id: 2, name: "ellipsoid", build: f2 },
  { id: 3, name: "rastrigin", build: f3 },
  { id: 4, name: "bueche-rastrigin", build: f4 },
  { id: 5, name: "linear-slope", build: f5 },
  { id: 6, name: "attractive-sector", build: f6 },
  { id: 7, name: "step-ellipsoid", build: f7 },
  { id: 8, name: "rosenbrock", build: f8 },
  { id: 9, name: "rosenbrock-rotated", build: f9 },
  { id: 10, name: "ellipsoid-rotated", build: f10 },
  { id: 11, name: "discus", build: f11 },
  { id: 12, name: "bent-cigar", build: f12 },
  { id: 13, name: "sharp-ridge", build: f13 },
  { id: 14, name: "different-powers", build: f14 },
  { id: 15, name: "rastrigin-rotated", build: f15 },
  { id: 16, name: "weierstrass", build: f16 },
  { id: 17, name: "schaffers-f7", build: schaffers(10) },
  { id: 18, name: "schaffers-f7-ill", build: schaffers(1000) },
  { id: 19, name: "griewank-rosenbrock", build: f19 },
  { id: 20, name: "schwefel", build: f20 },
  { id: 21, name: "gallagher-101", build: gallagher(101, 1000, 5) },
  { id: 22, name: "gallagher-21", build: gallagher(21, 1000 ** 2, 4.9) },
  { id: 23, name: "katsuura", build: f23 },
  { id: 24, name: "lunacek", build: f24 },
];

/**
 * One BBOB problem: function `fid` in dimension `d`, instance `instance`, on [-5, 5]^d;
 * `regret(x)` is f(x) - f_opt (≥ 0 up to rounding).
 */
export interface BbobProblem {
  readonly name: string;
  readonly fid: number;
  readonly d: number;
  readonly instance: number;
  readonly fopt: number;
  readonly f: Fn;
  readonly regret: Fn;
}

export function bbobProblem(fid: number, d: number, instance: number): BbobProblem {
  const entry = BBOB[fid - 1];
  if (!entry || d < 2) throw new RangeError(`bbob: no function ${fid} in ${d} dimensions`);
  const inst = new Instance(fid, d, instance);
  const f = entry.build(inst);
  return {
    name: `f${fid}-${entry.name}-d${d}-i${instance}`,
    fid,
    d,
    instance,
    fopt: inst.fopt,
    f,
    regret: (x) => f(x) - inst.fopt,
  };
}
