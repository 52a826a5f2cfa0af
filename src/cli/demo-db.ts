/** Where `--demo` keeps its history when no --db is given: beside the real ./ai-gateway.db, never in it. */
export const DEMO_DB_FILE = 'ai-gateway-demo.db';
