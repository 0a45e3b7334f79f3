/**
 * A packed history: a short run's whole history (rows, numeric columns, other values) as one
 * small binary value, stored in the run's own row (`runs.history_pack`, migration 7). A
 * trial-sized run that writes its history together with its closing patch then costs one
 * row update instead of a chunk row and two index entries per key (see `packed-history.ts`
 * for when a pack is written and when it is moved into chunks).
 *
 * Layout, little-endian: u8 version, 3 bytes padding, u32 rows, u32 numeric keys, u32 bytes
 * of the other values' JSON; f64 steps, runtimes and timestamps (one each per row); per key
 * u16 key bytes, the key (UTF-8), u16 points, u16 row of each point, f64 value of each point;
 * then the other values as JSON `[[row, key, value], ...]` (the NaN/Infinity codec). Binary,
 * not JSON, so -0 and every float64 come back bit for bit, as they do from a chunk.
 */
import { endianness } from "node:os";
import { decodeJson, encodeJson } from "../../shared/json-numbers.js";
import type { HistoryBatch, NumberColumn, OtherValue } from "../history-batch.js";
import { StoreError } from "../types.js";

/**
 * The most bytes a pack may take. It shares the run's row with the summary and the config,
 * and the row should stay within one 4 KiB page: a row that overflows writes more pages.
 */
export const PACK_MAX_BYTES = 2048;

const VERSION = 1;
const HEADER = 16;

/** One numeric key of a pack being written: the key, its UTF-8 name and how many points it has. */
interface PackKey {
  key: string;
  name: Buffer;
  n: number;
}

/** The numeric keys of a pack being written: in first-written order, and by key. */
interface PackKeys {
  list: PackKey[];
  byKey: Map<string, PackKey>;
}

/**
 * Float64 values are copied into a pack as their bytes where the machine is little-endian (the
 * pack's byte order): one memory copy per column instead of a write per value.
 */
const LITTLE_ENDIAN = endianness() === "LE";

/** UTF-8 key names, kept: a worker packs the same few keys for every trial (read-only). */
const keyNames = new Map<string, Buffer>();
const MAX_KEY_NAMES = 1024;

function keyName(key: string): Buffer {
  let name = keyNames.get(key);
  if (name === undefined) {
    if (keyNames.size >= MAX_KEY_NAMES) keyNames.clear();
    name = Buffer.from(key, "utf8");
    keyNames.set(key, name);
  }
  return name;
}

/*
 * The encoder writes bytes with plain stores and memory copies, not through a DataView: V8's
 * optimizing compiler inlines every DataView access as a few dozen machine instructions, and
 * every worker process compiles the encoder anew for its trial-sized runs (the DataView version
 * took ~37 ms of compiler time per process, more than any other function a tracked trial runs).
 * Loops index arrays and read Map entries as `entry[0]`, `entry[1]`: a destructured for-of is
 * the iterator protocol with an iterator-closing try/finally per pair, several times the
 * bytecode.
 */

/** The batches as one pack, or undefined when they do not fit one (see {@link packable}). */
export function encodePack(batches: readonly HistoryBatch[]): Buffer | undefined {
  if (!packable(batches)) return undefined;
  const { keys, rows, json } = packContents(batches);
  const size = packSize(keys, rows, json);
  // Within the byte cap every count fits its u16.
  if (size > PACK_MAX_BYTES) return undefined;
  // Every byte is written below (the header's padding included), so no zeroing first.
  const out = Buffer.allocUnsafe(size);
  putU32(out, 0, VERSION); // the version byte and 3 bytes of zero padding
  putU32(out, 4, rows);
  putU32(out, 8, keys.length);
  putU32(out, 12, json?.length ?? 0);
  let at = putRowField(out, HEADER, batches, "steps");
  at = putRowField(out, at, batches, "runtimes");
  at = putRowField(out, at, batches, "timestamps");
  at = writeKeys(out, at, keys, batches);
  json?.copy(out, at);
  return out;
}

/*
 * The loops over keys are functions of their own: `encodePack` runs once per trial-sized run,
 * and without loops it stays below V8's tier-up rule within a worker's ~1,000 trials (see
 * `Run`'s constructor in track/run.ts) instead of being compiled with a dozen callees inlined.
 */

/** The pack's bytes. */
function packSize(keys: readonly PackKey[], rows: number, json: Buffer | undefined): number {
  let size = HEADER + 24 * rows + (json?.length ?? 0);
  for (let i = 0; i < keys.length; i++) size += 4 + keys[i].name.length + 10 * keys[i].n;
  return size;
}

/** Writes every key's part at `at`; returns where they end. */
function writeKeys(
  out: Buffer,
  at: number,
  keys: readonly PackKey[],
  batches: readonly HistoryBatch[],
): number {
  for (let i = 0; i < keys.length; i++) at = writeKey(out, at, keys[i], batches);
  return at;
}

/** Writes one per-row field of every batch as f64s at `at`; returns where they end. */
function putRowField(
  out: Buffer,
  at: number,
  batches: readonly HistoryBatch[],
  field: "steps" | "runtimes" | "timestamps",
): number {
  for (let j = 0; j < batches.length; j++) {
    at = putFloats(out, at, batches[j][field], batches[j].rows);
  }
  return at;
}

/** Writes `v` as a little-endian u32 at `at`. */
function putU32(out: Buffer, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = v >>> 24;
}

/** Writes `v` as a little-endian u16 at `at`. */
function putU16(out: Buffer, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
}

/** Writes the first `n` values as little-endian f64s at `at`; returns where they end. */
function putFloats(out: Buffer, at: number, values: Float64Array, n: number): number {
  if (n === 0) return at;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(values.buffer, values.byteOffset, 8 * n), at);
  else for (let i = 0; i < n; i++) out.writeDoubleLE(values[i], at + 8 * i);
  return at + 8 * n;
}

/** The numeric keys in first-written order, the row count and the other values' JSON. */
function packContents(batches: readonly HistoryBatch[]) {
  const keys: PackKeys = { list: [], byKey: new Map() };
  const others: [number, string, unknown][] = [];
  let rows = 0;
  for (let j = 0; j < batches.length; j++) {
    const b = batches[j];
    // Map#forEach, not a for-of over the Map: no iterator protocol in the bytecode.
    b.columns.forEach(addPackKey, keys);
    for (let i = 0; i < b.others.length; i++) {
      const o = b.others[i];
      others.push([rows + o.row, o.key, o.value]);
    }
    rows += b.rows;
  }
  const json = others.length > 0 ? Buffer.from(encodeJson(others), "utf8") : undefined;
  return { keys: keys.list, rows, json };
}

/** Counts one batch column's points under its key (a `Map#forEach` callback over `keys`). */
function addPackKey(this: PackKeys, col: NumberColumn, key: string): void {
  const k = this.byKey.get(key);
  if (k !== undefined) k.n += col.n;
  else {
    const added = { key, name: keyName(key), n: col.n };
    this.byKey.set(key, added);
    this.list.push(added);
  }
}

/** Writes one key's part at `at` (its name, point count, rows, values); returns where it ends. */
function writeKey(out: Buffer, at: number, k: PackKey, batches: readonly HistoryBatch[]): number {
  const key = k.key;
  putU16(out, at, k.name.length);
  k.name.copy(out, at + 2);
  at += 2 + k.name.length;
  putU16(out, at, k.n);
  at += 2;
  let valuesAt = at + 2 * k.n;
  let offset = 0;
  for (let j = 0; j < batches.length; j++) {
    const b = batches[j];
    const col = b.columns.get(key);
    if (col) {
      for (let i = 0; i < col.n; i++, at += 2) putU16(out, at, offset + col.rows[i]);
      valuesAt = putFloats(out, valuesAt, col.values, col.n);
    }
    offset += b.rows;
  }
  return valuesAt;
}

/**
 * Whether the batches can be one pack before counting bytes: some rows, and steps strictly
 * increasing across all of them, so a pack never holds two writes of one step (chunks resolve
 * those by write order; a pack need not).
 */
function packable(batches: readonly HistoryBatch[]): boolean {
  let prev = -1;
  let rows = 0;
  for (let j = 0; j < batches.length; j++) {
    const b = batches[j];
    for (let i = 0; i < b.rows; i++) {
      if (!(b.steps[i] > prev)) return false;
      prev = b.steps[i];
    }
    rows += b.rows;
  }
  return rows > 0;
}

/** The largest step in a pack made by {@link encodePack} from these batches. */
export function lastStepOf(batches: readonly HistoryBatch[]): number {
  for (let i = batches.length - 1; i >= 0; i--) {
    const b = batches[i];
    if (b.rows > 0) return b.steps[b.rows - 1];
  }
  return -1;
}

/** A pack as a batch (rows in step order, numeric columns in first-written order). */
export function decodePack(pack: Buffer): HistoryBatch {
  if (pack.length < HEADER || pack.readUInt8(0) !== VERSION) {
    throw new StoreError(`unreadable packed history (version ${pack[0]})`, "invalid");
  }
  const rows = pack.readUInt32LE(4);
  const keyCount = pack.readUInt32LE(8);
  const jsonBytes = pack.readUInt32LE(12);
  let at = HEADER;
  const f64s = (n: number): Float64Array => {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++, at += 8) a[i] = pack.readDoubleLE(at);
    return a;
  };
  const steps = f64s(rows);
  const runtimes = f64s(rows);
  const timestamps = f64s(rows);
  const columns = new Map<string, NumberColumn>();
  for (let k = 0; k < keyCount; k++) {
    const keyBytes = pack.readUInt16LE(at);
    const key = pack.toString("utf8", at + 2, at + 2 + keyBytes);
    at += 2 + keyBytes;
    const n = pack.readUInt16LE(at);
    at += 2;
    const rowsOf = new Int32Array(n);
    for (let i = 0; i < n; i++, at += 2) rowsOf[i] = pack.readUInt16LE(at);
    columns.set(key, { n, rows: rowsOf, values: f64s(n) });
  }
  const others: OtherValue[] =
    jsonBytes === 0
      ? []
      : decodeJson<[number, string, OtherValue["value"]][]>(
          pack.toString("utf8", at, at + jsonBytes),
        ).map(([row, key, value]) => ({ row, key, value }));
  return { rows, steps, runtimes, timestamps, columns, others };
}
