/**
 * @deprecated Moved: the wire format is `src/protocol/batch.ts` and the NaN/±Infinity codec
 * `src/shared/json-numbers.ts`. Kept only while server files still in other hands import it;
 * nothing new may import it (test/e2e/architecture.test.ts forbids new importers).
 */
export * from "../protocol/batch.js";
export { decodeJson, encodeJson, NUM_TAG, tagNumbers, tagValue } from "../shared/json-numbers.js";
