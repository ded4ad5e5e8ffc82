import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { runCli, startCli } from '../helpers/cli.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'mfb-cli-'))
const port0 = { MFB_API__LISTEN: '127.0.0.1:0', MFB_NODE__LISTEN: '[/ip4/127.0.0.1/tcp/0]' }

describe('mainframe-bridge init + start (real processes)', () => {
  test('init writes config, keys, registration and admin token; start serves the API; SIGTERM exits 0', async () => {
    const dir = join(tmp(), 'd')
    const init = await runCli(['init', '--dir', dir])
    expect(init.code).toBe(0)
    expect(init.stderr).toMatch(/peer id: 12D3KooW/)
    for (const f of ['config.yaml', 'keys/node.json', 'registration.yaml', 'admin.token'])
      expect(statSync(join(dir, f)).mode & 0o077, `${f} is private`).toBe(0)

    const registration = parse(readFileSync(join(dir, 'registration.yaml'), 'utf8'))
    expect(registration).toMatchObject({
      rate_limited: false,
      receive_ephemeral: true,
      namespaces: {
        users: [{ exclusive: true, regex: '@_mainframe_.*' }],
        aliases: [{ exclusive: true, regex: '#_mainframe_.*' }],
      },
    })
    expect(registration.as_token).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(registration.hs_token).not.toBe(registration.as_token)

    const keys = await runCli(['keys', 'show', '--config', join(dir, 'config.yaml'), '--json'])
    expect(keys.code).toBe(0)
    const shown = JSON.parse(keys.stdout) as { peerId: string; encrypted: boolean }
    expect(shown.encrypted).toBe(false)

    const bridge = await startCli(['--config', join(dir, 'config.yaml')], port0)
    const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim()
    try {
      expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200)
      const node = await fetch(`${bridge.url}/v1/node`, { headers: { authorization: `Bearer ${token}` } })
      expect(node.status).toBe(200)
      expect(((await node.json()) as { peerId: string }).peerId).toBe(shown.peerId)
      const denied = await fetch(`${bridge.url}/v1/node`)
      expect(denied.status).toBe(401)
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED')
    } finally {
      expect(await bridge.stop('SIGTERM')).toBe(0)
    }
    const logs = bridge.stdout()
    expect(logs).toMatch(/"msg":"bridge started"/)
    expect(logs).toMatch(/"msg":"bridge stopped"/)
    expect(logs).not.toContain(token)
    expect(logs).not.toContain(registration.as_token)
  })

  test('start --init on a fresh folder initializes it first (what `npm start` does)', async () => {
    const dir = join(tmp(), 'fresh')
    const bridge = await startCli(['--config', join(dir, 'config.yaml'), '--init'], port0)
    try {
      expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200)
      expect(statSync(join(dir, 'admin.token')).isFile()).toBe(true)
    } finally {
      expect(await bridge.stop('SIGINT')).toBe(0)
    }
  })

  test('an encrypted key needs its passphrase; the wrong one is refused with exit 1', async () => {
    const dir = join(tmp(), 'enc')
    const env = { MFB_PASSPHRASE: 'correct horse battery staple', ...port0 }
    expect((await runCli(['init', '--dir', dir], env)).code).toBe(0)
    const keyFile = readFileSync(join(dir, 'keys/node.json'), 'utf8')
    expect(JSON.parse(keyFile).encryption).toMatchObject({ kdf: 'scrypt', cipher: 'xchacha20-poly1305' })

    const none = await runCli(['start', '--config', join(dir, 'config.yaml')], port0)
    expect(none.code).toBe(1)
    expect(none.stderr.trim().split('\n')).toHaveLength(1)
    expect(none.stderr).toMatch(/MFB_PASSPHRASE/)

    const wrong = await runCli(['start', '--config', join(dir, 'config.yaml')], {
      ...env,
      MFB_PASSPHRASE: 'wrong',
    })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/passphrase/i)

    const bridge = await startCli(['--config', join(dir, 'config.yaml')], env)
    expect(await bridge.stop()).toBe(0)
    expect(bridge.stdout()).not.toContain('correct horse')
  })

  test('a typo in the config fails start with one line naming the key, exit 2', async () => {
    const dir = join(tmp(), 'typo')
    expect((await runCli(['init', '--dir', dir])).code).toBe(0)
    writeFileSync(join(dir, 'config.yaml'), 'api:\n  lisen: 127.0.0.1:8080\n')
    const res = await runCli(['start', '--config', join(dir, 'config.yaml')])
    expect(res.code).toBe(2)
    const lines = res.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toBe(
      `error: unknown config key "api.lisen" in ${join(dir, 'config.yaml')} (did you mean "api.listen"?)`,
    )
  })

  test('a port already in use is a runtime failure (exit 1) that says what to do', async () => {
    const dir = join(tmp(), 'busy')
    expect((await runCli(['init', '--dir', dir])).code).toBe(0)
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const res = await runCli(['start', '--config', join(dir, 'config.yaml')], {
        MFB_API__LISTEN: `127.0.0.1:${port}`,
        MFB_NODE__LISTEN: '[/ip4/127.0.0.1/tcp/0]',
      })
      expect(res.code).toBe(1)
      expect(res.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`))
      expect(res.stderr).toMatch(/MFB_API__LISTEN/)
    } finally {
      blocker.close()
    }
  })

  test('init refuses to overwrite an initialized folder (exit 2)', async () => {
    const dir = join(tmp(), 'twice')
    expect((await runCli(['init', '--dir', dir])).code).toBe(0)
    const token = readFileSync(join(dir, 'admin.token'), 'utf8')
    const again = await runCli(['init', '--dir', dir])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already exists/)
    expect(readFileSync(join(dir, 'admin.token'), 'utf8')).toBe(token)
  })
})

describe('mainframe-bridge usage', () => {
  test.each([[[]], [['init']], [['start']], [['keys']], [['keys', 'show']]])(
    '--help works for %j',
    async (cmd) => {
      const res = await runCli([...cmd, '--help'])
      expect(res.code).toBe(0)
      expect(res.stdout).toMatch(/^Usage: mainframe-bridge/)
    },
  )

  test('an unknown command or option is a usage error (exit 2)', async () => {
    const cmd = await runCli(['launch'])
    expect(cmd.code).toBe(2)
    expect(cmd.stderr).toMatch(/unknown command 'launch'/)
    const opt = await runCli(['start', '--confg', 'x'])
    expect(opt.code).toBe(2)
    expect(opt.stderr).toMatch(/unknown option '--confg'/)
  })

  test('--version prints the package version', async () => {
    const res = await runCli(['--version'])
    expect(res.code).toBe(0)
    expect(res.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })
})
