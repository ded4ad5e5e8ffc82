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
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        driver: z.literal('sqlite').default('sqlite'),
        sqlite: z
          .object({ path: z.string().min(1).default('bridge.db') })
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
