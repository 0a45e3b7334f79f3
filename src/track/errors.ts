/** Thrown for bad input to the tracker (bad key/value, config change, bad id, unsupported mode). */
export class TrackError extends Error {
  override name = "TrackError";
}
