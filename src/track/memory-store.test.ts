import { describeStoreConformance } from "../store/conformance.js";
import { describeTransactionConformance } from "../store/transaction-conformance.js";
import { MemoryStore } from "./memory-store.js";

// The in-memory store behaves as the SQLite one in every conformance case.
describeStoreConformance("memory", async () => new MemoryStore());
describeTransactionConformance("memory", async () => new MemoryStore());
