/** The PostgreSQL store passes the conformance suites every backend runs, unchanged. */
import { describe } from "vitest";
import { postgresAvailability } from "../../../test/services/postgres.js";
import { skipBecause } from "../../../test/skip.js";
import { describeStoreConformance } from "../conformance.js";
import { describeTransactionConformance } from "../transaction-conformance.js";
import { freshPostgresStore } from "./postgres.test-helpers.js";

const PG = postgresAvailability("PostgreSQL store conformance");
const noPg = skipBecause(!PG.found, "PostgreSQL store conformance", PG.reason);

describe.skipIf(noPg)("PostgresStore", () => {
  describeStoreConformance("postgres", () => freshPostgresStore());
  describeTransactionConformance("postgres", () => freshPostgresStore());
});
