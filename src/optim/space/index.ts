/**
 * Search spaces: builders, `SearchSpace`, the unit-cube mapping samplers use, `SpaceError`.
 *
 * @module
 */

export {
  type ChoiceOptions,
  categorical,
  constant,
  float,
  int,
  type NumericOptions,
  type ParamSpec,
  type When,
} from "./builders.js";
export {
  cardinality,
  checkDistribution,
  fromUnit,
  inDomain,
  isChoice,
  isDiscrete,
  middleOf,
  sampleDistribution,
  toUnit,
} from "./distribution.js";
export { SpaceError } from "./errors.js";
export { configKey } from "./key.js";
export { SearchSpace, type SearchSpaceJSON, space } from "./search-space.js";
