import type { Command } from 'commander'
import { apiClient, type ClientOptions } from '../client.ts'

interface Counts {
  waiting: number
  active: number
  delayed: number
  dead: number
}
interface QueueState {
  driver: string
  stages: Record<string, Counts>
  deliveries: Record<string, number>
  dead: { id: string; stage: string; attempts: number; error: { code: string; message: string } }[]
}

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description('queue depths and dead letters of a running bridge, or one message with --message')
    .option('--message <id>', 'show one message: its state per target and every attempt')
    .option('--config <file>', 'the config file (API address and token)', 'data/config.yaml')
    .option('--url <url>', 'the API address, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'an API token with the read scope (default: MFB_TOKEN, then admin.token)')
    .option('--json', 'print the JSON answer')
    .action(async (options: ClientOptions & { message?: string; json?: boolean }) => {
      const client = apiClient(options)
      if (options.message) {
        const msg = await client.request<unknown>(
          'GET',
          `/v1/messages/${encodeURIComponent(options.message)}`,
        )
        console.log(JSON.stringify(msg, null, 2))
        return
      }
      const q = await client.request<QueueState>('GET', '/v1/queue')
      if (options.json) {
        console.log(JSON.stringify(q, null, 2))
        return
      }
      const lines = [`queue driver: ${q.driver}`, 'stage     waiting  active  delayed  dead']
      for (const [stage, c] of Object.entries(q.stages))
        lines.push(
          `${stage.padEnd(9)} ${String(c.waiting).padStart(7)} ${String(c.active).padStart(7)} ${String(c.delayed).padStart(8)} ${String(c.dead).padStart(5)}`,
        )
      lines.push(
        `deliveries: ${Object.entries(q.deliveries)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      )
      if (q.dead.length) {
        lines.push('dead letters (retry: POST /v1/queue/dead/<id>/retry):')
        for (const d of q.dead)
          lines.push(`  ${d.id}  ${d.stage}  ${d.attempts} attempts  ${d.error.code}: ${d.error.message}`)
      }
      console.log(lines.join('\n'))
    })
}
