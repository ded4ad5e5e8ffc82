import type { Command } from 'commander'
import { apiClient, type ClientOptions } from '../client.ts'
import { UsageError } from '../exit.ts'

interface SendOptions extends ClientOptions {
  conversation: string
  text: string
  html?: string
  kind: string
  sender?: string
  key?: string
  json?: boolean
}

export function sendCommand(program: Command): void {
  program
    .command('send')
    .description('send a message into a conversation through a running bridge (POST /v1/messages)')
    .requiredOption('--conversation <network:id>', 'the conversation, e.g. webhook:https://example.com/hook')
    .requiredOption('--text <text>', 'the message text')
    .option('--html <html>', 'an HTML body (sanitized by each target)')
    .option('--kind <kind>', 'text | notice | emote', 'text')
    .option('--sender <uri>', "who speaks (default: this node's mf: address)")
    .option('--key <key>', 'idempotency key: the same key is sent once')
    .option('--config <file>', 'the config file (API address and token)', 'data/config.yaml')
    .option('--url <url>', 'the API address, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'an API token with the send scope (default: MFB_TOKEN, then admin.token)')
    .option('--json', 'print the JSON answer')
    .action(async (options: SendOptions) => {
      const colon = options.conversation.indexOf(':')
      if (colon <= 0)
        throw new UsageError(
          `--conversation "${options.conversation}" is not <network>:<id>`,
          'e.g. --conversation webhook:https://example.com/hook',
        )
      const result = await apiClient(options).request<{ id: string; duplicate: boolean }>(
        'POST',
        '/v1/messages',
        {
          conversation: {
            network: options.conversation.slice(0, colon),
            id: options.conversation.slice(colon + 1),
          },
          kind: options.kind,
          body: { text: options.text, ...(options.html ? { html: options.html } : {}) },
          ...(options.sender ? { sender: options.sender } : {}),
          ...(options.key ? { idempotencyKey: options.key } : {}),
        },
      )
      if (options.json) console.log(JSON.stringify(result))
      else console.log(`${result.id}${result.duplicate ? ' (already sent)' : ''}`)
    })
}
