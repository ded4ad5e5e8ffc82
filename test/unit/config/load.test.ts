import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { ConfigError } from '../../../src/config/errors.ts'
import { loadConfig } from '../../../src/config/load.ts'

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mfb-config-'))
  const path = join(dir, 'config.yaml')
  writeFileSync(path, text)
  return path
}

function failure(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('config loading', () => {
  test('an empty file gives the documented defaults, paths inside the file folder', () => {
    const path = file('')
    const config = loadConfig({ path, env: {} })
    const dir = join(path, '..')
    expect(config.data_dir).toBe(dir)
    expect(config.api.listen).toBe('127.0.0.1:8080')
    expect(config.store).toEqual({
      driver: 'sqlite',
      sqlite: { path: join(dir, 'bridge.db') },
      postgres: { url: 'postgres://127.0.0.1:5432/mainframe_bridge' },
    })
    expect(config.queue).toEqual({
      driver: 'sqlite',
      sqlite: { path: join(dir, 'queue.db') },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'mfb' },
    })
    expect(config.node.key_file).toBe(join(dir, 'keys/node.json'))
    expect(config.log.level).toBe('info')
  })

  test('a typo in a key names the key, the file and the likely fix', () => {
    const path = file('api:\n  lisen: 127.0.0.1:9000\n')
    const err = failure(() => loadConfig({ path, env: {} }))
    expect(err.code).toBe('CONFIG_UNKNOWN_KEY')
    expect(err.shortMessage).toBe(`unknown config key "api.lisen" in ${path}`)
    expect(err.hints).toEqual(['did you mean "api.listen"?'])
  })

  test('an unknown key with no near match lists the keys allowed there', () => {
    const err = failure(() => loadConfig({ path: file('store:\n  flavour: x\n'), env: {} }))
    expect(err.hints[0]).toBe('remove it; the keys allowed under "store" are: driver, sqlite, postgres')
  })

  test('an unknown top-level section is refused', () => {
    const err = failure(() => loadConfig({ path: file('matrx:\n  url: x\n'), env: {} }))
    expect(err.shortMessage).toMatch(/unknown config key "matrx"/)
  })

  test('a bad value names the key, the value and what is expected', () => {
    const err = failure(() => loadConfig({ path: file('api:\n  listen: localhost\n'), env: {} }))
    expect(err.code).toBe('CONFIG_INVALID_VALUE')
    expect(err.shortMessage).toMatch(/"api\.listen" in .*: "localhost"$/)
    expect(err.hints[0]).toMatch(/expected host:port/)
    const level = failure(() => loadConfig({ path: file('log:\n  level: loud\n'), env: {} }))
    expect(level.shortMessage).toMatch(/"log\.level".*"loud"/)
  })

  test('broken YAML names the line', () => {
    const err = failure(() => loadConfig({ path: file('api:\n  listen: [\n'), env: {} }))
    expect(err.code).toBe('CONFIG_YAML_INVALID')
    expect(err.shortMessage).toMatch(/config\.yaml:\d+:\d+: not valid YAML/)
  })

  test('a missing file says how to create one', () => {
    const err = failure(() => loadConfig({ path: '/nonexistent/config.yaml', env: {} }))
    expect(err.code).toBe('CONFIG_UNREADABLE')
    expect(err.hints[0]).toMatch(/mainframe-bridge init/)
  })

  test('environment overrides any key, typed as YAML scalars', () => {
    const path = file('api:\n  listen: 127.0.0.1:8080\n')
    const config = loadConfig({
      path,
      env: {
        MFB_API__LISTEN: '127.0.0.1:9000',
        MFB_API__MAX_BODY_BYTES: '4096',
        MFB_NODE__BOOTSTRAP: '[/ip4/10.0.0.1/tcp/4001]',
        MFB_DATA_DIR: '/var/lib/mfb',
        MFB_PASSPHRASE: 'not a config key',
      },
    })
    expect(config.api).toEqual({ listen: '127.0.0.1:9000', max_body_bytes: 4096 })
    expect(config.node.bootstrap).toEqual(['/ip4/10.0.0.1/tcp/4001'])
    expect(config.data_dir).toBe('/var/lib/mfb')
    expect(config.store.sqlite.path).toBe('/var/lib/mfb/bridge.db')
  })

  test('a mistyped environment variable is an error naming the variable', () => {
    const err = failure(() => loadConfig({ env: { MFB_API__LISTN: '127.0.0.1:1' } }))
    expect(err.shortMessage).toBe('unknown config key "api.listn" (from MFB_API__LISTN)')
    const bad = failure(() => loadConfig({ env: { MFB_API__MAX_BODY_BYTES: 'lots' } }))
    expect(bad.shortMessage).toMatch(/"api\.max_body_bytes" \(from MFB_API__MAX_BODY_BYTES\): "lots"/)
  })

  test('secrets in URLs are not echoed in errors', () => {
    const err = failure(() =>
      loadConfig({ path: file('store:\n  postgres:\n    url: mysql://root:hunter2@db/x\n'), env: {} }),
    )
    expect(err.shortMessage).toMatch(/"store\.postgres\.url" in .*: \(hidden\)$/)
    expect(err.message).not.toContain('hunter2')
  })

  test('a value of the wrong type is shown as written', () => {
    const err = failure(() => loadConfig({ path: file('data_dir: 5\n'), env: {} }))
    expect(err.shortMessage).toMatch(/"data_dir".*: 5$/)
  })
})
