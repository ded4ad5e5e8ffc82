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
  {
    version: 2,
    name: 'relay_links_messages_deliveries_traces',
    // links.ord (the rowid) keeps creation order within a millisecond, also across VACUUM.
    // messages keep their rowid for the same reason, and because their rows are large.
    // deliveries_pending is what hasPendingBefore reads: only pending rows, so its cost does
    // not grow with a conversation's history; deliveries_order gives max(seq) per pair.
    sql: `
      CREATE TABLE links (
        ord INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        allow_senders TEXT,
        rate_limit_per_minute INTEGER CHECK (rate_limit_per_minute >= 1),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX links_created_at ON links (created_at);

      CREATE TABLE link_endpoints (
        link_id TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        network TEXT NOT NULL,
        address TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'both')),
        options TEXT NOT NULL,
        PRIMARY KEY (link_id, position)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX link_endpoints_endpoint ON link_endpoints (network, address, link_id);

      CREATE TABLE messages (
        id TEXT NOT NULL PRIMARY KEY,
        message TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('ingested', 'routed')),
        received_at INTEGER NOT NULL,
        routed_at INTEGER
      ) STRICT;
      CREATE INDEX messages_ingested ON messages (received_at) WHERE state = 'ingested';

      CREATE TABLE deliveries (
        message_id TEXT NOT NULL,
        target_key TEXT NOT NULL,
        link_id TEXT NOT NULL,
        network TEXT NOT NULL,
        address TEXT NOT NULL,
        conversation_key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'refused')),
        attempts INTEGER NOT NULL,
        native_id TEXT,
        error_code TEXT,
        error_message TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        delivered_at INTEGER,
        PRIMARY KEY (message_id, target_key)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX deliveries_order ON deliveries (target_key, conversation_key, seq);
      CREATE INDEX deliveries_pending ON deliveries (target_key, conversation_key, seq)
        WHERE state = 'pending';

      CREATE TABLE traces (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL,
        target_key TEXT,
        stage TEXT NOT NULL CHECK (stage IN ('ingest', 'route', 'deliver')),
        attempt INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'retry', 'dead', 'refused')),
        error_code TEXT,
        error_message TEXT,
        process_id TEXT
      ) STRICT;
      CREATE INDEX traces_message ON traces (message_id, started_at);
    `,
  },
  {
    version: 3,
    name: 'cluster_leases_processes',
    sql: `
      CREATE TABLE leases (
        name TEXT NOT NULL PRIMARY KEY,
        holder TEXT NOT NULL,
        token INTEGER NOT NULL,
        acquired_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE processes (
        id TEXT NOT NULL PRIMARY KEY,
        role TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        version TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'node_held_packets_mls_groups',
    // held_packets.ord (the rowid) is the insertion order listFor pages by; held_packets_recipient
    // is (recipient, rowid), so a recipient's packets are read in that order. held_packets_quota
    // covers put's per-sender count and sum, and stats. packet is the last column so that
    // reading the others never touches the blob's overflow pages.
    sql: `
      CREATE TABLE held_packets (
        ord INTEGER PRIMARY KEY,
        recipient TEXT NOT NULL,
        id TEXT NOT NULL,
        sender TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 1),
        received_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        packet BLOB NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX held_packets_id ON held_packets (recipient, id);
      CREATE INDEX held_packets_recipient ON held_packets (recipient);
      CREATE INDEX held_packets_quota ON held_packets (recipient, sender, expires_at, size);
      CREATE INDEX held_packets_expires_at ON held_packets (expires_at);

      CREATE TABLE mls_groups (
        group_id TEXT NOT NULL PRIMARY KEY,
        topic TEXT NOT NULL,
        epoch INTEGER NOT NULL CHECK (epoch >= 0),
        role TEXT NOT NULL CHECK (role IN ('orderer', 'member')),
        updated_at INTEGER NOT NULL,
        state BLOB NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'bridge_identities',
    // announced_at 0 is "never", so due-for-announce is one range scan of its index. The seed
    // is stored only as the node encrypted it.
    sql: `
      CREATE TABLE bridge_identities (
        peer_id TEXT NOT NULL PRIMARY KEY,
        subject TEXT NOT NULL UNIQUE,
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        created_at INTEGER NOT NULL,
        announced_at INTEGER NOT NULL,
        sealed_seed BLOB NOT NULL
      ) STRICT, WITHOUT ROWID;
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
        network TEXT NOT NULL,
        scope TEXT NOT NULL,
        native_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (network, scope, native_id),
        UNIQUE (network, scope, message_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX native_ids_created_at ON native_ids (created_at);
    `,
  },
  {
    version: 7,
    name: 'blobs',
    // Attachments' bytes by SHA-256. The bytes have a table of their own, one row per blob on
    // the same rowid: SQLite rewrites a whole row on UPDATE, and a put of bytes stored already
    // moves created_at (when the blob was last put) without rewriting up to 64 MiB.
    sql: `
      CREATE TABLE blobs (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
        size INTEGER NOT NULL CHECK (size >= 0),
        media_type TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX blobs_created_at ON blobs (created_at);

      CREATE TABLE blob_bytes (
        id INTEGER PRIMARY KEY REFERENCES blobs (id) ON DELETE CASCADE,
        bytes BLOB NOT NULL
      ) STRICT;
    `,
  },
]

/** The newest schema version this code knows. */
export const LATEST_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0
