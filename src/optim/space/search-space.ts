/**
 * `SearchSpace`: named parameters, checked and ordered parents before children, with sampling,
 * validation, defaults and a JSON form.
 *
 * @module
 */

import type { Rng } from "../rng.js";
import type { Choice, Condition, Config, Distribution, Param } from "../types.js";
import type { ParamSpec, When } from "./builders.js";
import {
  checkDistribution,
  fromUnit,
  inDomain,
  isChoice,
  middleOf,
  sampleDistribution,
  toUnit,
} from "./distribution.js";
import { SpaceError, show } from "./errors.js";

/**
 * Plain form of a {@link SearchSpace}, from {@link SearchSpace.toJSON}.
 *
 * @example
 * ```ts
 * const json: SearchSpaceJSON = s.toJSON();
 * const again = SearchSpace.fromJSON(json);
 * ```
 */
export interface SearchSpaceJSON {
  params: Param[];
}

function conditionOf(name: string, when: When | undefined): Condition | undefined {
  if (when === undefined) return undefined;
  if (!when || typeof when !== "object" || Array.isArray(when))
    throw new SpaceError(`when must be an object { parent: values }, got ${show(when)}`, {
      param: name,
      value: when,
    });
  const parents = Object.keys(when);
  if (parents.length !== 1)
    throw new SpaceError(
      `when must name exactly one parent, got ${show(parents)} (chain conditions through the parent instead)`,
      { param: name, value: when },
    );
  const parent = parents[0];
  const v = when[parent];
  const values = Array.isArray(v) ? [...v] : [v as Choice];
  return { parent, values };
}

function checkParam(p: Param): Param {
  if (!p || typeof p !== "object")
    throw new SpaceError(`param must be an object, got ${show(p)}`, { value: p });
  if (typeof p.name !== "string" || p.name.length === 0)
    throw new SpaceError(`param name must be a non-empty string, got ${show(p.name)}`, {
      value: p.name,
    });
  const dist = normalized(p.dist);
  checkDistribution(dist, p.name);
  if (p.default !== undefined && !inDomain(dist, p.default))
    throw new SpaceError(`default ${show(p.default)} is outside the parameter's domain`, {
      param: p.name,
      value: p.default,
    });
  const c = p.condition;
  if (c !== undefined) {
    if (!c || typeof c.parent !== "string" || !Array.isArray(c.values) || c.values.length === 0)
      throw new SpaceError(`condition needs a parent name and at least one value, got ${show(c)}`, {
        param: p.name,
        value: c,
      });
    if (c.parent === p.name)
      throw new SpaceError("condition names the parameter itself as its parent", {
        param: p.name,
        value: c.parent,
      });
    for (const v of c.values)
      if (!isChoice(v))
        throw new SpaceError(
          `condition value ${show(v)} is not a string, finite number, boolean or null`,
          {
            param: p.name,
            value: v,
          },
        );
  }
  const out: { -readonly [K in keyof Param]: Param[K] } = { name: p.name, dist };
  if (p.default !== undefined) out.default = p.default;
  if (c !== undefined)
    out.condition = Object.freeze({ parent: c.parent, values: Object.freeze([...c.values]) });
  return Object.freeze(out);
}

/**
 * A private, frozen copy of a distribution (so later edits to the caller's object cannot change
 * the space), filling what hand-written JSON may leave out: `log: false`, and `step: 1` on ints.
 */
function normalized(dist: Distribution): Distribution {
  if (!dist || typeof dist !== "object") return dist;
  let d: Distribution;
  try {
    d = structuredClone(dist);
  } catch {
    return dist; // checkDistribution reports what is wrong with it
  }
  if (d.type === "float" || d.type === "int") {
    const m = d as { log: boolean; step?: number };
    if (m.log === undefined) m.log = false;
    if (d.type === "int" && m.step === undefined) m.step = 1;
  }
  if (d.type === "categorical") Object.freeze(d.choices);
  return Object.freeze(d);
}

/** Orders parents before children, keeping declaration order otherwise; rejects cycles. */
function ordered(params: Param[]): Param[] {
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const p of params) {
    const c = p.condition;
    if (!c) continue;
    const parent = byName.get(c.parent);
    if (!parent)
      throw new SpaceError(`condition names unknown parent "${c.parent}"`, {
        param: p.name,
        value: c.parent,
      });
    for (const v of c.values)
      if (!inDomain(parent.dist, v))
        throw new SpaceError(`condition value ${show(v)} is not a value of parent "${c.parent}"`, {
          param: p.name,
          value: v,
        });
  }
  const out: Param[] = [];
  const placed = new Set<string>();
  let progress = true;
  while (out.length < params.length && progress) {
    progress = false;
    for (const p of params) {
      if (placed.has(p.name)) continue;
      if (p.condition && !placed.has(p.condition.parent)) continue;
      out.push(p);
      placed.add(p.name);
      progress = true;
    }
  }
  if (out.length < params.length) {
    const stuck = params.filter((p) => !placed.has(p.name)).map((p) => p.name);
    throw new SpaceError(`conditions form a cycle among ${show(stuck)}`, {
      param: stuck[0],
      value: stuck,
    });
  }
  return out;
}

/**
 * A search space: named parameters, ordered parents before children.
 *
 * @example
 * ```ts
 * const s = space({
 *   kind: categorical(["svm", "rf"]),
 *   C: float(1e-3, 1e3, { log: true, when: { kind: "svm" } }),
 *   trees: int(10, 500, { log: true, when: { kind: "rf" } }),
 * });
 * const config = s.sample(new Rng(1)); // e.g. { kind: "rf", trees: 37 } — never C with rf
 * s.validate({ kind: "svm", C: 5000 }); // throws SpaceError: param "C": value 5000 ...
 * ```
 */
export class SearchSpace {
  /** The parameters, parents before children. */
  readonly params: readonly Param[];
  readonly #byName: Map<string, Param>;

  constructor(params: Iterable<Param>) {
    const list: Param[] = [];
    const seen = new Set<string>();
    for (const raw of params) {
      const p = checkParam(raw);
      if (seen.has(p.name))
        throw new SpaceError("parameter declared twice", { param: p.name, value: p.name });
      seen.add(p.name);
      list.push(p);
    }
    this.params = Object.freeze(ordered(list));
    this.#byName = new Map(this.params.map((p) => [p.name, p]));
  }

  /** The parameter names, parents before children. */
  get names(): string[] {
    return this.params.map((p) => p.name);
  }

  /** The number of parameters. */
  get size(): number {
    return this.params.length;
  }

  /** Whether a parameter of that name exists. */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The parameter called `name`; throws a {@link SpaceError} if there is none. */
  get(name: string): Param {
    const p = this.#byName.get(name);
    if (!p)
      throw new SpaceError(`unknown parameter (known: ${this.names.join(", ")})`, {
        param: name,
        value: name,
      });
    return p;
  }

  #param(param: string | Param): Param {
    return typeof param === "string" ? this.get(param) : param;
  }

  /**
   * Whether `name` is active in `config`: it has no condition, or its parent is active and
   * takes one of the condition's values.
   */
  isActive(name: string, config: Readonly<Record<string, unknown>>): boolean {
    let p = this.get(name);
    while (p.condition) {
      const c: Condition = p.condition;
      if (!c.values.includes(config[c.parent] as Choice)) return false;
      p = this.get(c.parent);
    }
    return true;
  }

  /** A random configuration holding exactly the active parameters. */
  sample(rng: Rng): Config {
    const config: Config = {};
    for (const p of this.params) {
      if (this.#activeGiven(p, config)) config[p.name] = sampleDistribution(p.dist, rng);
    }
    return config;
  }

  /** The parent is already decided when params are walked in order; only one level to check. */
  #activeGiven(p: Param, config: Config): boolean {
    const c = p.condition;
    return !c || (c.parent in config && c.values.includes(config[c.parent]));
  }

  /**
   * The default configuration: each active parameter's default, or the middle of its scale /
   * its first choice.
   */
  defaults(): Config {
    const config: Config = {};
    for (const p of this.params) {
      if (this.#activeGiven(p, config))
        config[p.name] = p.default !== undefined ? p.default : middleOf(p.dist);
    }
    return config;
  }

  /**
   * Returns `config` if it is valid: no unknown keys, every active parameter present with a
   * value of its domain, no inactive parameter present. Otherwise throws a {@link SpaceError}
   * naming the parameter and the value.
   */
  validate(config: Readonly<Record<string, unknown>>): Config {
    if (!config || typeof config !== "object" || Array.isArray(config))
      throw new SpaceError(`config must be an object, got ${show(config)}`, { value: config });
    for (const key of Object.keys(config))
      if (!this.#byName.has(key))
        throw new SpaceError(`unknown parameter (known: ${this.names.join(", ")})`, {
          param: key,
          value: config[key],
        });
    for (const p of this.params) {
      const present = Object.hasOwn(config, p.name) && config[p.name] !== undefined;
      const active = this.isActive(p.name, config);
      if (active && !present)
        throw new SpaceError("active parameter is missing", { param: p.name, value: undefined });
      if (!active && present) {
        const c = p.condition as Condition;
        throw new SpaceError(
          `parameter is inactive (needs ${c.parent} in ${show(c.values)}) but has value ${show(config[p.name])}`,
          { param: p.name, value: config[p.name] },
        );
      }
      if (active && !inDomain(p.dist, config[p.name]))
        throw new SpaceError(`value ${show(config[p.name])} is outside ${describe(p.dist)}`, {
          param: p.name,
          value: config[p.name],
        });
    }
    return config as Config;
  }

  /** Whether {@link SearchSpace.validate} would accept `config`. */
  contains(config: Readonly<Record<string, unknown>>): boolean {
    try {
      this.validate(config);
      return true;
    } catch (e) {
      if (e instanceof SpaceError) return false;
      throw e;
    }
  }

  /**
   * A valid configuration built from `partial`: its in-domain values of active parameters are
   * kept, inactive ones dropped, and missing or invalid ones drawn from `rng`. Samplers use it
   * after crossover or mutation switched a parent's value.
   */
  repair(partial: Readonly<Record<string, unknown>>, rng: Rng): Config {
    const config: Config = {};
    for (const p of this.params) {
      if (!this.#activeGiven(p, config)) continue;
      const v = partial[p.name];
      config[p.name] = inDomain(p.dist, v) ? (v as Choice) : sampleDistribution(p.dist, rng);
    }
    return config;
  }

  /** Maps a value of `param` to [0, 1] (log-aware; see {@link toUnit}). */
  toUnit(param: string | Param, value: Choice): number {
    const p = this.#param(param);
    try {
      return toUnit(p.dist, value);
    } catch (e) {
      throw e instanceof SpaceError ? e.withParam(p.name) : e;
    }
  }

  /** Maps `u` in [0, 1] to a value of `param` (steps and ints rounded; see {@link fromUnit}). */
  fromUnit(param: string | Param, u: number): Choice {
    const p = this.#param(param);
    try {
      return fromUnit(p.dist, u);
    } catch (e) {
      throw e instanceof SpaceError ? e.withParam(p.name) : e;
    }
  }

  /** Plain form; `JSON.stringify(space)` uses it. */
  toJSON(): SearchSpaceJSON {
    return { params: structuredClone(this.params as Param[]) };
  }

  /** Rebuilds (and re-checks) a space from {@link SearchSpace.toJSON}'s output or its text. */
  static fromJSON(data: SearchSpaceJSON | string): SearchSpace {
    const parsed: unknown = typeof data === "string" ? JSON.parse(data) : data;
    const params = (parsed as SearchSpaceJSON | null)?.params;
    if (!Array.isArray(params))
      throw new SpaceError(
        `SearchSpace.fromJSON: expected { params: [...] }, got ${show(parsed)}`,
        {
          value: parsed,
        },
      );
    return new SearchSpace(params);
  }

  /** E.g. `SearchSpace(kind: categorical[svm, rf], C: float[0.001, 1000, log] | kind in [svm])`. */
  toString(): string {
    const parts = this.params.map((p) => {
      const cond = p.condition ? ` | ${p.condition.parent} in ${show(p.condition.values)}` : "";
      return `${p.name}: ${describe(p.dist)}${cond}`;
    });
    return `SearchSpace(${parts.join(", ")})`;
  }
}

function describe(dist: Distribution): string {
  switch (dist.type) {
    case "float":
    case "int": {
      const extra = [
        dist.log ? "log" : "",
        dist.step !== undefined && !(dist.type === "int" && dist.step === 1)
          ? `step ${dist.step}`
          : "",
      ]
        .filter(Boolean)
        .join(", ");
      return `${dist.type}[${dist.low}, ${dist.high}${extra ? `, ${extra}` : ""}]`;
    }
    case "categorical":
      return `categorical${show(dist.choices)}`;
    case "constant":
      return `constant(${show(dist.value)})`;
  }
}

/**
 * Builds a {@link SearchSpace} from named builders; every error names the parameter.
 *
 * @example
 * ```ts
 * const s = space({
 *   optimizer: categorical(["sgd", "adam"]),
 *   momentum: float(0, 0.99, { when: { optimizer: "sgd" } }),
 *   nesterov: categorical([true, false], { when: { momentum: [0.9] } }),
 * });
 * ```
 */
export function space(defs: Readonly<Record<string, ParamSpec>>): SearchSpace {
  if (!defs || typeof defs !== "object" || Array.isArray(defs))
    throw new SpaceError(`space() expects an object of named parameters, got ${show(defs)}`, {
      value: defs,
    });
  const params: Param[] = [];
  for (const [name, s] of Object.entries(defs)) {
    if (!s || typeof s !== "object" || !("dist" in s))
      throw new SpaceError(
        `expected a parameter from float/int/categorical/constant, got ${show(s)}`,
        {
          param: name,
          value: s,
        },
      );
    const p: { -readonly [K in keyof Param]: Param[K] } = { name, dist: s.dist };
    if (s.default !== undefined) p.default = s.default;
    const condition = conditionOf(name, s.when);
    if (condition) p.condition = condition;
    params.push(p);
  }
  return new SearchSpace(params);
}
