export {
  type RequestRow,
  type ControlRecord,
  type ControlRecordKind,
  type ControlEventRow,
  type AgentOverride,
} from './rows.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, userVersion } from './schema.js';
export { openWritableDb, openReadonlyDb, type OpenDbOptions } from './open-db.js';
export {
  BatchedAuditWriter,
  DEFAULT_PENDING_LIMIT,
  type AuditSink,
  type AuditWriterStats,
  type BatchedAuditWriterOptions,
  type RowMirror,
  type StoreLogger,
  type WriterDb,
} from './audit-writer.js';
export {
  StoreQueries,
  MAX_USAGE_ROWS,
  type AgentSpend,
  type ControlEventsQuery,
  type RecentRequestsQuery,
  type SpendPoint,
  type SpendTotals,
} from './queries.js';
export { AgentOverrides, type AgentOverridePatch, type AgentOverridesReader } from './overrides.js';
export { Retention } from './retention.js';
export {
  exportRows,
  exportRecord,
  exportRecordOf,
  csvField,
  csvLine,
  EXPORT_FIELDS,
  type ExportFormat,
  type ExportOptions,
  type ExportValue,
} from './export.js';
export { JsonlMirror, type JsonlMirrorOptions } from './jsonl-mirror.js';
export { acquireDbLock, processAlive, DbLock, DbLockedError, type DbLockOptions, type LockHolder } from './db-lock.js';
export { Store, openStore, openReadonlyStore, type OpenStoreOptions, type ReadonlyStore, type WritableStore } from './store.js';
