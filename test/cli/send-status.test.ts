import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { feedLink, makeDataDir, testConfig, until } from '../helpers/bridge.ts'
import { type BridgeProcess, runCli, startCli } from '../helpers/cli.ts'
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.ts'

const SECRET = 'cli-test-secret-0123456789abcdef'
let bridge: BridgeProcess
let receiver: Receiver
let configPath: string
let token: string

beforeAll(async () => {
  receiver = await startReceiver(SECRET)
  ;({ configPath, token } = await makeDataDir(testConfig({ log: { level: 'warn' } })))
  bridge = await startCli(['--config', configPath])
  const res = await fetch(`${bridge.url}/v1/links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(feedLink(receiver.url, SECRET)),
  })
  expect(res.status).toBe(201)
})
afterAll(async () => {
  expect(await bridge?.stop()).toBe(0)
  await receiver?.close()
})

describe('mainframe-bridge send and status (real processes)', () => {
  test('send prints the message id; the receiver gets it; sending it again says so', async () => {
    const args = [
      'send',
      '--url',
      bridge.url,
      '--token',
      token,
      '--conversation',
      'webhook:feed',
      '--text',
      'from the CLI',
      '--key',
      'cli-1',
    ]
    const sent = await runCli(args)
    expect(sent.code).toBe(0)
    const id = sent.stdout.trim()
    expect(id).toMatch(/^m[0-9a-f]{40}$/)
    await until(async () => (receiver.received.has(id) ? true : undefined), 10_000, 'delivery')
    expect(receiver.received.get(id)?.body.text).toBe('from the CLI')
    const again = await runCli(args)
    expect(again.stdout.trim()).toBe(`${id} (already sent)`)
  })

  test('status shows the depths per stage and the delivery totals', async () => {
    const res = await runCli(['status', '--url', bridge.url, '--token', token])
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/^queue driver: sqlite/)
    expect(res.stdout).toMatch(/^route\s+\d+\s+\d+\s+\d+\s+\d+$/m)
    expect(res.stdout).toMatch(/deliveries: pending \d+, delivered [1-9]\d*, dead 0, refused 0/)
    const json = await runCli(['status', '--url', bridge.url, '--token', token, '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({
      driver: 'sqlite',
      stages: { route: { dead: 0 }, deliver: { dead: 0 } },
    })
  })

  test('a wrong token or a bridge that is not running: exit 1; a malformed argument: exit 2; one clear line each', async () => {
    const denied = await runCli(['status', '--url', bridge.url, '--token', 'mfb_wrong'])
    expect(denied.code).toBe(1)
    expect(denied.stderr.trim()).toMatch(/^error: invalid or revoked token \(/)
    const down = await runCli(['status', '--url', 'http://127.0.0.1:9', '--token', token])
    expect(down.code).toBe(1)
    expect(down.stderr.trim()).toBe(
      'error: no bridge answers at http://127.0.0.1:9 (start it with `mainframe-bridge start`, or pass --url)',
    )
    const bad = await runCli([
      'send',
      '--url',
      bridge.url,
      '--token',
      token,
      '--conversation',
      'feed',
      '--text',
      'x',
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--conversation "feed" is not <network>:<id>/)
  })
})
