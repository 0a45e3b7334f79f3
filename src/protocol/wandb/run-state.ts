/**
 * How our run states map onto W&B's, which has no `pruned` state: a W&B run ends with an exit
 * code (0 finished, else failed) or not at all (crashed). A pruned run leaves as exit code 0
 * with the tag {@link PRUNED_TAG} (visible and filterable in W&B's UI), and a W&B run that
 * ended 0 with that tag comes back as `pruned`.
 */

/**
 * The tag that marks a pruned run in W&B.
 *
 * @example
 * ```ts
 * const tags = run.state === "pruned" ? withPrunedTag(run.tags) : run.tags;
 * ```
 */
export const PRUNED_TAG = "pruned";

/**
 * `tags` with {@link PRUNED_TAG} added once (a copy; already there: unchanged).
 *
 * @example
 * ```ts
 * withPrunedTag(["sweep"]); // ["sweep", "pruned"]
 * ```
 */
export function withPrunedTag(tags: readonly string[]): string[] {
  return tags.includes(PRUNED_TAG) ? [...tags] : [...tags, PRUNED_TAG];
}

/**
 * A W&B run's end as our run state: no exit record is `crashed`, a non-zero code `failed`,
 * 0 `pruned` when tagged {@link PRUNED_TAG}, else `finished`.
 *
 * @example
 * ```ts
 * wandbEndState(0, ["pruned"]); // "pruned"
 * wandbEndState(undefined, []); // "crashed"
 * ```
 */
export function wandbEndState(
  exitCode: number | undefined,
  tags: readonly string[],
): "finished" | "failed" | "crashed" | "pruned" {
  if (exitCode === undefined) return "crashed";
  if (exitCode !== 0) return "failed";
  return tags.includes(PRUNED_TAG) ? "pruned" : "finished";
}
