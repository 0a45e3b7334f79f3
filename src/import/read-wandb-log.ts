import { WandbLogError } from "./errors.js";
import { readLogRecords } from "./leveldb-log.js";
import { ProtobufError } from "./protobuf.js";
import { decodeWandbRecord, type WandbRecord } from "./wandb-records.js";

/**
 * Reads a W&B offline run's `.wandb` transaction log record by record, checking the header and
 * every chunk's CRC. Damage (bad CRC, a file cut off mid-record, bytes that are not a record)
 * throws `WandbLogError` naming the file and byte offset, after the records before it were yielded.
 *
 * @example
 * ```ts
 * import { readWandbLog } from "amltk/track";
 * for await (const rec of readWandbLog("wandb/offline-run-20240101_000000-abc/run-abc.wandb")) {
 *   if (rec.kind === "history") console.log(rec.step, rec.items.length);
 * }
 * ```
 */
export async function* readWandbLog(file: string): AsyncGenerator<WandbRecord> {
  for await (const { offset, payload } of readLogRecords(file)) {
    let rec: WandbRecord;
    try {
      rec = decodeWandbRecord(payload, offset);
    } catch (e) {
      if (e instanceof ProtobufError) {
        throw new WandbLogError(
          `record is not a wandb_internal.Record (${e.message})`,
          "bad_record",
          file,
          offset,
          { cause: e },
        );
      }
      throw e;
    }
    yield rec;
  }
}
