import type { Migration } from '../sqlite/migrations.ts'

export type { Migration } from '../sqlite/migrations.ts'

/**
 * The PostgreSQL schema, oldest first: the same versions, names and meaning as the SQLite
 * list (src/store/sqlite/migrations.ts). Never edit a released migration: add the next number.
 *
 * - Epoch milliseconds, versions, counts and seqs are BIGINT (parsed back to numbers).
 * - JSON (endpoint options, the ACL's sender list, messages) is TEXT holding JSON text, not
 *   JSONB: JSONB refuses \u0000 and reorders keys, and the port wants exact round trips.
 * - Keys and every text column something is ordered or looked up by use COLLATE "C", so
 *   ordering is by code point (as SQLite's BINARY) whatever the database's locale.
 * - `ord` identity columns keep creation order within a millisecond (SQLite's rowid).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tokens_cursors_dedupe',
    sql: `
      CREATE TABLE api_tokens (
        id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX api_tokens_created_at ON api_tokens (created_at, id);

      CREATE TABLE cursors (
        key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,
        version BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE dedupe (
        scope TEXT COLLATE "C" NOT NULL,
        id TEXT COLLATE "C" NOT NULL,
        expires_at BIGINT,
        PRIMARY KEY (scope, id)
      );
      CREATE INDEX dedupe_expires_at ON dedupe (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'relay_links_messages_deliveries_traces',
    sql: `
      CREATE TABLE links (
        ord BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        name TEXT NOT NULL,
        allow_senders TEXT,
        rate_limit_per_minute BIGINT CHECK (rate_limit_per_minute >= 1),
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX links_created_at ON links (created_at, ord);

      CREATE TABLE link_endpoints (
        link_id TEXT COLLATE "C" NOT NULL REFERENCES links (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        network TEXT COLLATE "C" NOT NULL,
        address TEXT COLLATE "C" NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'both')),
        options TEXT NOT NULL,
        PRIMARY KEY (link_id, position)
      );
      CREATE UNIQUE INDEX link_endpoints_endpoint ON link_endpoints (network, address, link_id);

      CREATE TABLE messages (
        ord BIGINT GENERATED ALWAYS AS IDENTITY,
        id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        message TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('ingested', 'routed')),
        received_at BIGINT NOT NULL,
        routed_at BIGINT
      );
      CREATE INDEX messages_ingested ON messages (received_at, ord) WHERE state = 'ingested';

      CREATE TABLE deliveries (
        message_id TEXT COLLATE "C" NOT NULL,
        target_key TEXT COLLATE "C" NOT NULL,
        link_id TEXT NOT NULL,
        network TEXT NOT NULL,
        address TEXT NOT NULL,
        conversation_key TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'refused')),
        attempts BIGINT NOT NULL,
        native_id TEXT,
        error_code TEXT,
        error_message TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        delivered_at BIGINT,
        PRIMARY KEY (message_id, target_key)
      );
      CREATE UNIQUE INDEX deliveries_order ON deliveries (target_key, conversation_key, seq);
      CREATE INDEX deliveries_pending ON deliveries (target_key, conversation_key, seq)
        WHERE state = 'pending';

      CREATE TABLE traces (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id TEXT COLLATE "C" NOT NULL,
        target_key TEXT,
        stage TEXT NOT NULL CHECK (stage IN ('ingest', 'route', 'deliver')),
        attempt BIGINT NOT NULL,
        started_at BIGINT NOT NULL,
        duration_ms DOUBLE PRECISION NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'retry', 'dead', 'refused')),
        error_code TEXT,
        error_message TEXT,
        process_id TEXT
      );
      CREATE INDEX traces_message ON traces (message_id, started_at, id);
    `,
  },
  {
    version: 3,
    name: 'cluster_leases_processes',
    sql: `
      CREATE TABLE leases (
        name TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        holder TEXT COLLATE "C" NOT NULL,
        token BIGINT NOT NULL,
        acquired_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );

      CREATE TABLE processes (
        id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        role TEXT NOT NULL,
        host TEXT NOT NULL,
        pid BIGINT NOT NULL,
        version TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        last_seen BIGINT NOT NULL
      );
      CREATE INDEX processes_last_seen ON processes (last_seen);
    `,
  },
  {
    version: 4,
    name: 'node_held_packets_mls_groups',
    // Sealed packets and encrypted group states do not compress: STORAGE EXTERNAL keeps them
    // out of line without trying. held_packets_quota covers put's per-sender count and sum.
    sql: `
      CREATE TABLE held_packets (
        ord BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        recipient TEXT COLLATE "C" NOT NULL,
        id TEXT COLLATE "C" NOT NULL,
        sender TEXT COLLATE "C" NOT NULL,
        size BIGINT NOT NULL CHECK (size >= 1),
        received_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        packet BYTEA NOT NULL
      );
      ALTER TABLE held_packets ALTER COLUMN packet SET STORAGE EXTERNAL;
      CREATE UNIQUE INDEX held_packets_id ON held_packets (recipient, id);
      CREATE INDEX held_packets_recipient ON held_packets (recipient, ord);
      CREATE INDEX held_packets_quota ON held_packets (recipient, sender, expires_at) INCLUDE (size);
      CREATE INDEX held_packets_expires_at ON held_packets (expires_at);

      CREATE TABLE mls_groups (
        group_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        topic TEXT NOT NULL,
        epoch BIGINT NOT NULL CHECK (epoch >= 0),
        role TEXT NOT NULL CHECK (role IN ('orderer', 'member')),
        updated_at BIGINT NOT NULL,
        state BYTEA NOT NULL
      );
      ALTER TABLE mls_groups ALTER COLUMN state SET STORAGE EXTERNAL;
    `,
  },
  {
    version: 5,
    name: 'bridge_identities',
    // announced_at 0 is "never", so due-for-announce is one range scan of its index. The seed
    // is stored only as the node encrypted it.
    sql: `
      CREATE TABLE bridge_identities (
        peer_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
        subject TEXT COLLATE "C" NOT NULL UNIQUE,
        public_key BYTEA NOT NULL CHECK (length(public_key) = 32),
        created_at BIGINT NOT NULL,
        announced_at BIGINT NOT NULL,
        sealed_seed BYTEA NOT NULL
      );
      CREATE INDEX bridge_identities_announced_at ON bridge_identities (announced_at, peer_id);
    `,
  },
  {
    version: 6,
    name: 'native_ids',
    // One-to-one per (network, scope): the primary key answers native → message, the unique
    // index message → native. No expiry: rows stay until deleteBefore, by created_at.
    sql: `
      CREATE TABLE native_ids (
        network TEXT COLLATE "C" NOT NULL,
        scope TEXT COLLATE "C" NOT NULL,
        native_id TEXT COLLATE "C" NOT NULL,
        message_id TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (network, scope, native_id),
        UNIQUE (network, scope, message_id)
      );
      CREATE INDEX native_ids_created_at ON native_ids (created_at);
    `,
  },
  {
    version: 7,
    name: 'blobs',
    // Attachments' bytes by SHA-256, stored out of line and uncompressed (media is compressed
    // already). created_at is when a blob was last put.
    sql: `
      CREATE TABLE blobs (
        hash TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(hash) = 64),
        size BIGINT NOT NULL CHECK (size >= 0),
        media_type TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        bytes BYTEA NOT NULL CHECK (octet_length(bytes) = size)
      );
      ALTER TABLE blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;
      CREATE INDEX blobs_created_at ON blobs (created_at);
    `,
  },
]

/** The newest schema version this code knows. */
export const LATEST_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0
