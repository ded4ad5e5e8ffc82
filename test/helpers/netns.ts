import { execFile } from 'node:child_process'

/**
 * Test hosts: network namespaces made by the test itself, each joined to this (the root)
 * namespace by a veth pair on a /24 of its own in 10.211.0.0/16: the host side is
 * 10.211.<n>.1, the namespace side 10.211.<n>.2, with a default route back through the host
 * side, so a test host reaches every server of the root namespace listening on a host-side
 * address. Needs root and iproute2 (`ip`). Traffic never leaves this machine.
 */
export interface TestHost {
  readonly ns: string
  /** The address of the test host (inside its namespace). */
  readonly ip: string
  /** The root namespace's address on this host's link. */
  readonly gateway: string
  /** Prefix for a command to run on this host. */
  readonly exec: readonly string[]
}

export const TEST_HOSTS_NETWORK = '10.211.0.0/16'

function ip(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`ip ${args.join(' ')}: ${stderr || err.message}`)) : resolve(),
    )
  })
}

/** Creates `count` test hosts; `remove()` deletes them (and their veth pairs). */
export async function makeTestHosts(count: number): Promise<{ hosts: TestHost[]; remove(): Promise<void> }> {
  const tag = (process.pid % 10_000).toString(36)
  const hosts: TestHost[] = []
  const remove = async () => {
    for (const h of hosts) await ip('netns', 'del', h.ns).catch(() => {})
  }
  try {
    for (let n = 1; n <= count; n++) {
      const ns = `mfb${tag}h${n}`
      const outside = `mfb${tag}o${n}`
      const inside = `mfb${tag}i${n}`
      const gateway = `10.211.${n}.1`
      const address = `10.211.${n}.2`
      await ip('netns', 'add', ns)
      hosts.push({ ns, ip: address, gateway, exec: ['ip', 'netns', 'exec', ns] })
      await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside)
      await ip('link', 'set', inside, 'netns', ns)
      await ip('addr', 'add', `${gateway}/24`, 'dev', outside)
      await ip('link', 'set', outside, 'up')
      await ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', inside)
      await ip('-n', ns, 'link', 'set', inside, 'up')
      await ip('-n', ns, 'link', 'set', 'lo', 'up')
      await ip('-n', ns, 'route', 'add', 'default', 'via', gateway)
    }
  } catch (err) {
    await remove()
    throw err
  }
  return { hosts, remove }
}
