import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { type RunningBridge, startBridge } from '../../src/bridge.ts'
import { initDataDir } from '../../src/cli/init.ts'
import { loadConfig } from '../../src/config/load.ts'
import { loadKeyFile } from '../../src/crypto/keyfile.ts'
import { createLogger } from '../../src/log/logger.ts'

/** Config for pipeline tests: quick retries, API on a free port. Sections merge over it. */
export function testConfig(sections: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
  const base: Record<string, Record<string, unknown>> = {
    api: { listen: '127.0.0.1:0' },
    node: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    log: { level: 'silent' },
    relay: {
      attempts: 5,
      backoff_ms: 100,
      max_backoff_ms: 1000,
      sweep_interval_ms: 2000,
      delivery_timeout_ms: 5000,
    },
  }
  for (const [key, value] of Object.entries(sections)) base[key] = { ...base[key], ...value }
  return base
}

/** A fresh data dir (init) whose config.yaml is `config`. */
export async function makeDataDir(
  config: Record<string, unknown>,
): Promise<{ dir: string; configPath: string; token: string }> {
  const dir = join(mkdtempSync(join(tmpdir(), 'mfb-bridge-')), 'data')
  const { configPath } = await initDataDir(dir, undefined)
  writeFileSync(configPath, stringify(config))
  return { dir, configPath, token: readFileSync(join(dir, 'admin.token'), 'utf8').trim() }
}

export interface TestBridge {
  readonly url: string
  readonly token: string
  readonly dir: string
  readonly bridge: RunningBridge
  /** fetch against the bridge with the admin token. */
  api(path: string, init?: RequestInit): Promise<Response>
  stop(): Promise<void>
}

/** Runs a whole bridge in this process (store, queue, relay, adapters, API on a free port). */
export async function startTestBridge(config: Record<string, unknown> = testConfig()): Promise<TestBridge> {
  const { dir, configPath, token } = await makeDataDir(config)
  const loaded = loadConfig({ path: configPath, env: {} })
  const identity = await loadKeyFile(loaded.node.key_file)
  const bridge = await startBridge(loaded, identity, createLogger({ level: 'silent' }))
  const url = `http://${bridge.apiAddress}`
  return {
    url,
    token,
    dir,
    bridge,
    api: (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(init.headers as Record<string, string>),
        },
      }),
    stop: () => bridge.stop(),
  }
}

/** A link from an outbound-only "feed" webhook endpoint to a receiver URL. */
export function feedLink(
  receiverUrl: string,
  secret: string,
  extra: Record<string, unknown> = {},
  source = 'feed',
) {
  return {
    name: 'feed to receiver',
    endpoints: [
      { network: 'webhook', address: source, direction: 'out', options: { secret } },
      { network: 'webhook', address: receiverUrl, direction: 'in', options: { secret } },
    ],
    ...extra,
  }
}

export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
