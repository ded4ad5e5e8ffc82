import type { Command } from 'commander'
import { apiClient, type ClientOptions } from '../client.ts'

interface Peers {
  running: boolean
  peers: { peerId: string; addresses: string[]; direction: string; openedAt: number }[]
}
interface Groups {
  groups: { id: string; topic: string; epoch: number; role: string; members: string[] }[]
}

interface Identities {
  identities: { peerId: string; subject: string; createdAt: number; announcedAt: number | null }[]
  next: string | null
}

type Options = ClientOptions & { json?: boolean }

/** `mainframe-bridge node peers|groups|identities`: what a running bridge's Mainframe node sees. */
export function nodeCommand(program: Command): void {
  const node = program
    .command('node')
    .description("a running bridge's Mainframe node: its peers, groups and bridge identities")
  const common = (command: Command) =>
    command
      .option('--config <file>', 'the config file (API address and token)', 'data/config.yaml')
      .option('--url <url>', 'the API address, e.g. http://127.0.0.1:8080')
      .option('--token <token>', 'an API token with the read scope (default: MFB_TOKEN, then admin.token)')
      .option('--json', 'print the JSON answer')

  common(node.command('peers').description('the peers the node is connected to')).action(
    async (options: Options) => {
      const answer = await apiClient(options).request<Peers>('GET', '/v1/node/peers')
      if (options.json) return void console.log(JSON.stringify(answer, null, 2))
      if (!answer.running) return void console.log('no node runs in this process (role worker)')
      const lines = [`${answer.peers.length} peer${answer.peers.length === 1 ? '' : 's'}`]
      for (const p of answer.peers)
        lines.push(
          `  ${p.peerId}  ${p.direction.padEnd(8)}  since ${new Date(p.openedAt).toISOString()}  ${p.addresses.join(' ')}`,
        )
      console.log(lines.join('\n'))
    },
  )

  common(node.command('groups').description('the groups the node is a member of')).action(
    async (options: Options) => {
      const answer = await apiClient(options).request<Groups>('GET', '/v1/groups')
      if (options.json) return void console.log(JSON.stringify(answer, null, 2))
      const lines = [`${answer.groups.length} group${answer.groups.length === 1 ? '' : 's'}`]
      for (const g of answer.groups)
        lines.push(`  ${g.id}  epoch ${g.epoch}  ${g.role.padEnd(7)}  ${g.members.length} members`)
      console.log(lines.join('\n'))
    },
  )

  common(
    node
      .command('identities')
      .description('the bridge identities: keys this bridge holds for people of other networks')
      .option('--after <peerId>', 'start after this peer id (the "next" of the previous page)')
      .option('--limit <n>', 'how many to show (1 to 1000)', '100'),
  ).action(async (options: Options & { after?: string; limit: string }) => {
    const query = new URLSearchParams({
      limit: options.limit,
      ...(options.after ? { after: options.after } : {}),
    })
    const answer = await apiClient(options).request<Identities>('GET', `/v1/identities?${query}`)
    if (options.json) return void console.log(JSON.stringify(answer, null, 2))
    const lines = [`${answer.identities.length} identit${answer.identities.length === 1 ? 'y' : 'ies'}`]
    for (const i of answer.identities)
      lines.push(
        `  ${i.peerId}  ${i.subject}  ${i.announcedAt === null ? 'not announced yet' : `announced ${new Date(i.announcedAt).toISOString()}`}`,
      )
    if (answer.next) lines.push(`more: --after ${answer.next}`)
    console.log(lines.join('\n'))
  })
}
