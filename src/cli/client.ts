import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../config/load.ts'
import { BridgeError } from '../core/errors.ts'

export interface ClientOptions {
  config: string
  url?: string
  token?: string
}

/** A small client of a running bridge's API, for the CLI commands that talk to one. */
export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>
}

/**
 * The API address comes from --url, else the config's api.listen; the token from --token,
 * MFB_TOKEN, else <data_dir>/admin.token.
 * @throws ConfigError for a bad config; BridgeError API_UNREACHABLE / the API's own error.
 */
export function apiClient(options: ClientOptions): ApiClient {
  const needConfig = !options.url || !(options.token ?? process.env.MFB_TOKEN)
  const config = needConfig ? loadConfig({ path: options.config }) : undefined
  const base = options.url ?? `http://${config?.api.listen}`
  const token =
    options.token ?? process.env.MFB_TOKEN ?? readToken(join(config?.data_dir ?? '.', 'admin.token'))
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response
      try {
        res = await fetch(new URL(path, base), {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
      } catch (cause) {
        throw new BridgeError('API_UNREACHABLE', `no bridge answers at ${base}`, {
          cause,
          hint: 'start it with `mainframe-bridge start`, or pass --url',
        })
      }
      const json = (await res.json().catch(() => ({}))) as {
        error?: { code: string; message: string; hint: string }
      }
      if (!res.ok) {
        const e = json.error ?? {
          code: `HTTP_${res.status}`,
          message: `${res.status} ${res.statusText}`,
          hint: '',
        }
        throw new BridgeError(e.code, e.message, { hint: e.hint || [] })
      }
      return json as T
    },
  }
}

function readToken(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    throw new BridgeError('TOKEN_MISSING', `no API token: ${path} is not readable`, {
      hint: 'pass --token, or set MFB_TOKEN',
    })
  }
}
