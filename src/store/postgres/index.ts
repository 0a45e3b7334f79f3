export { StoreSchemaTooNewError } from "./migrations.js";
export {
  POSTGRES_STORE_DEFAULTS,
  PostgresStore,
  type PostgresStoreOptions,
} from "./postgres-store.js";
