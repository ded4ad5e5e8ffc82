/** One numbered schema change. Never edit a released migration: add the next number. */
export interface Migration {
  /** 1, 2, 3… in order, no gaps. */
  readonly version: number
  /** Short snake_case description, stored beside the version. */
  readonly name: string
  /** SQL text (several statements allowed), run inside one transaction. */
  readonly sql: string
}

/**
 * The SQLite schema, oldest first. Tables are STRICT so that SQLite refuses values of the
 * wrong type as PostgreSQL would; timestamps are INTEGER epoch milliseconds. The PostgreSQL
 * driver keeps its own list with the same versions and the same meaning.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tokens_cursors_dedupe',
    sql: `
      CREATE TABLE api_tokens (
        id TEXT NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      CREATE INDEX api_tokens_created_at ON api_tokens (created_at, id);

      CREATE TABLE cursors (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE dedupe (
        scope TEXT NOT NULL,
        id TEXT NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (scope, id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX dedupe_expires_at ON dedupe (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
]

/** The newest schema version this code knows. */
export const LATEST_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0
