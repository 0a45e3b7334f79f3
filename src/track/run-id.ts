/** Run ids: the characters a run id may not hold, and the random ids `init` makes. */
import { TrackError } from "./errors.js";

const BAD_ID = /[/\\#?%:]/;

/** Throws a `TrackError` naming `id` when it is empty or holds a character a URL or path would split on. */
export function checkRunId(id: string): void {
  if (typeof id !== "string" || id === "" || BAD_ID.test(id)) {
    throw new TrackError(`invalid run id "${id}": must be non-empty and not contain / \\ # ? % :`);
  }
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A random id of `len` lowercase letters and digits (not cryptographic: ids only need to be unlikely to collide). */
export function randomId(len = 8): string {
  let s = "";
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}
