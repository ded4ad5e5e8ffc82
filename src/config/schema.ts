import { z } from 'zod'

/**
 * The configuration schema. Every object is strict: an unknown key is an error, so a typo
 * never silently falls back to a default. config/example.yaml documents every key; a test
 * checks that the example parses and names every key of this schema.
 */

const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8080')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'the port must be at most 65535')

const multiaddr = z.string().regex(/^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/(tcp|udp)\/\d{1,5}(\/.*)?$/, {
  message: 'expected a multiaddr such as /ip4/127.0.0.1/tcp/4001',
})

export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])

export const configSchema = z
  .object({
    data_dir: z.string().min(1).optional(),
    log: z
      .object({
        level: logLevel.default('info'),
      })
      .strict()
      .prefault({}),
    api: z
      .object({
        listen: listenAddress.default('127.0.0.1:8080'),
        max_body_bytes: z
          .number()
          .int()
          .min(1024)
          .max(512 * 1024 * 1024)
          .default(1024 * 1024),
      })
      .strict()
      .prefault({}),
    node: z
      .object({
        key_file: z.string().min(1).default('keys/node.json'),
        listen: z.array(multiaddr).default(['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002/ws']),
        bootstrap: z.array(z.string().min(1)).default([]),
        max_connections: z.number().int().min(1).max(100_000).default(200),
        max_message_bytes: z
          .number()
          .int()
          .min(1024)
          .max(256 * 1024 * 1024)
          .default(16 * 1024 * 1024),
        timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
        private_addresses: z.boolean().default(true),
        hold: z
          .object({
            enabled: z.boolean().default(true),
            replicas: z.number().int().min(1).max(20).default(3),
            ttl_s: z
              .number()
              .int()
              .min(60)
              .max(90 * 24 * 3600)
              .default(7 * 24 * 3600),
            max_per_sender: z.number().int().min(1).max(1_000_000).default(1000),
            max_bytes_per_sender: z
              .number()
              .int()
              .min(1024)
              .max(1024 * 1024 * 1024)
              .default(64 * 1024 * 1024),
            fetch_interval_ms: z.number().int().min(1000).max(3_600_000).default(30_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    queue: z
      .object({
        driver: z.enum(['sqlite', 'bullmq']).default('sqlite'),
        sqlite: z
          .object({ path: z.string().min(1).default('queue.db') })
          .strict()
          .prefault({}),
        redis: z
          .object({
            url: z
              .string()
              .regex(/^rediss?:\/\//, 'expected redis://host:port or rediss://…')
              .default('redis://127.0.0.1:6379'),
            prefix: z.string().min(1).max(64).default('mfb'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    relay: z
      .object({
        attempts: z.number().int().min(1).max(100).default(8),
        backoff_ms: z.number().int().min(1).max(3_600_000).default(1000),
        max_backoff_ms: z.number().int().min(1).max(86_400_000).default(300_000),
        route_concurrency: z.number().int().min(1).max(1000).default(16),
        deliver_concurrency: z.number().int().min(1).max(1000).default(32),
        delivery_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
        sweep_interval_ms: z.number().int().min(1000).max(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    adapters: z
      .object({
        webhook: z
          .object({
            enabled: z.boolean().default(true),
            signature_tolerance_s: z.number().int().min(1).max(86_400).default(300),
          })
          .strict()
          .prefault({}),
        matrix: z
          .object({
            enabled: z.boolean().default(false),
            homeserver_url: z
              .string()
              .regex(/^https?:\/\//, 'expected the client API base URL, e.g. http://127.0.0.1:8008')
              .default('http://127.0.0.1:8008'),
            server_name: z
              .string()
              .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected the server name of user ids, e.g. example.org')
              .default('localhost'),
            registration: z.string().min(1).default('registration.yaml'),
            max_body_bytes: z.number().int().min(1024).max(65_536).default(65_536),
            media_max_bytes: z
              .number()
              .int()
              .min(1)
              // The blob store holds files of up to 64 MiB.
              .max(64 * 1024 * 1024)
              .default(16 * 1024 * 1024),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
        sqlite: z
          .object({ path: z.string().min(1).default('bridge.db') })
          .strict()
          .prefault({}),
        postgres: z
          .object({
            url: z
              .string()
              .regex(/^postgres(ql)?:\/\//, 'expected postgres://user:password@host:port/database')
              .default('postgres://127.0.0.1:5432/mainframe_bridge'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()

/** The config as written (defaults filled in), paths still relative. */
export type RawConfig = z.output<typeof configSchema>

/** The config the bridge runs with: defaults filled in, every path absolute. */
export interface Config extends RawConfig {
  readonly data_dir: string
  /** The file it was read from, when there was one. */
  readonly source?: string
}
