import { createHash } from 'node:crypto'
import { Client, type ClientConfig, Pool, type PoolClient, types as pgTypes, type QueryResult } from 'pg'
import { isConnectionError, mapPgError } from './errors.ts'

/** Settings of the pool, checked (see `openPostgresStore`). */
export interface PgPoolSettings {
  url: string
  poolSize: number
  /** 0 = no limit. */
  statementTimeoutMs: number
  connectTimeoutMs: number
  /** How long a call waits for a free connection of the pool, then STORE_BUSY. */
  acquireTimeoutMs: number
}

const INT8_OID = 20

/** BIGINT (epoch ms, versions, counts) as a JS number; `rows.ts` refuses an unsafe one. */
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
}

/**
 * A node-postgres Pool that survives the server going away: errors of idle connections are
 * absorbed (the pool drops them), connections that broke while checked out are destroyed on
 * release, and the next call connects again. Every error comes out as a store BridgeError
 * (`mapPgError`); `where` names the server without the password.
 */
export class PgPool {
  /** The URL without its credentials, for error messages. */
  readonly where: string
  readonly #pool: Pool
  readonly #broken = new WeakSet<PoolClient>()
  #ended: Promise<void> | undefined

  constructor(settings: PgPoolSettings) {
    this.where = describeUrl(settings.url)
    // pg-pool's connectionTimeoutMillis bounds the wait for a free connection; each new
    // connection gets its own (shorter) connect timeout through the Client subclass.
    const connectTimeoutMs = settings.connectTimeoutMs
    const TimedClient = class extends Client {
      constructor(config?: ClientConfig) {
        super({ ...config, connectionTimeoutMillis: connectTimeoutMs })
      }
    }
    this.#pool = new Pool({
      Client: TimedClient,
      connectionString: settings.url,
      max: settings.poolSize,
      connectionTimeoutMillis: settings.acquireTimeoutMs,
      idleTimeoutMillis: 10_000,
      statement_timeout: settings.statementTimeoutMs > 0 ? settings.statementTimeoutMs : false,
      keepAlive: true,
      application_name: 'mainframe-bridge',
      types: typeParsers,
    })
    // A connection that fails while checked out emits 'error' on its client; without a listener
    // that would crash the process. Remember it, so release() destroys it.
    this.#pool.on('connect', (client) => {
      client.on('error', () => this.#broken.add(client))
    })
    // An idle connection that fails (server restart): the pool has already dropped it.
    this.#pool.on('error', () => {})
  }

  /**
   * A connection of the pool, for several statements. Release it with `release`.
   * @throws STORE_UNAVAILABLE (retryable) when the server cannot be reached within the
   *   connect timeout; STORE_BUSY (retryable) when every connection stayed in use past the
   *   acquire timeout; STORE_OPEN_FAILED on bad credentials or a missing database.
   */
  async acquire(): Promise<PoolClient> {
    for (let i = 0; ; i++) {
      let client: PoolClient
      try {
        client = await this.#pool.connect()
      } catch (err) {
        throw mapPgError(err, this.where)
      }
      if (!this.#broken.has(client) || i >= 3) return client
      client.release(true)
    }
  }

  /** Returns a connection to the pool, or closes it when it broke or `destroy` is set. */
  release(client: PoolClient, destroy = false): void {
    client.release(destroy || this.#broken.has(client) ? true : undefined)
  }

  /**
   * One statement, prepared once per connection (or, without values, several statements as
   * text). @throws a store BridgeError.
   */
  async query(client: PoolClient, text: string, values?: readonly unknown[]): Promise<QueryResult> {
    try {
      if (values === undefined) return await client.query(text)
      return await client.query({ name: statementName(text), text, values: [...values] })
    } catch (err) {
      throw mapPgError(err, this.where)
    }
  }

  /** One statement on a connection of its own, autocommitted. @throws a store BridgeError. */
  async run(text: string, values?: readonly unknown[]): Promise<QueryResult> {
    const client = await this.acquire()
    let destroy = false
    try {
      return await this.query(client, text, values)
    } catch (err) {
      destroy = isConnectionError(err)
      throw err
    } finally {
      this.release(client, destroy)
    }
  }

  /** Closes every connection once the checked-out ones are released. Idempotent. */
  end(): Promise<void> {
    this.#ended ??= this.#pool.end().catch(() => undefined)
    return this.#ended
  }
}

const names = new Map<string, string>()

/**
 * The name a statement is prepared under on each connection (parsed and planned once per
 * connection, not per call): a hash of its text, so equal texts share it.
 */
function statementName(text: string): string {
  let name = names.get(text)
  if (name === undefined) {
    name = `mfb_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
    names.set(text, name)
  }
  return name
}

/** `postgresql://host:port/db` from a URL: no credentials, no query string. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    return 'the PostgreSQL server of store.postgres.url'
  }
}
