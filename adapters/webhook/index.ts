import type {
  Adapter,
  AdapterComponents,
  AdapterContext,
  AdapterFactory,
  Capabilities,
} from '../../src/adapter.ts'
import { BridgeError } from '../../src/core/errors.ts'
import { inboundRoutes } from './inbound.ts'
import { post } from './outbound.ts'

export interface WebhookConfig {
  /** How far a signature's timestamp may be from now, in seconds (replay window). */
  readonly toleranceSeconds: number
  /** User-Agent of outbound POSTs. */
  readonly userAgent: string
}

/**
 * The webhook adapter: signed HTTP in and out, the simplest network and the pipeline's test
 * vehicle. Endpoints are `{ network: 'webhook', address: <URL>, options: { secret } }`.
 */
export const webhook =
  (config: WebhookConfig): AdapterFactory =>
  (components: AdapterComponents): Adapter => {
    let context: AdapterContext | undefined
    const capabilities: Capabilities = {
      kinds: new Set(['text', 'notice', 'emote', 'media', 'reaction', 'edit', 'redaction', 'chain-event']),
      html: true,
      maxBytes: 4 * 1024 * 1024,
    }
    return {
      network: 'webhook',
      capabilities,
      async start(ctx) {
        context = ctx
        ctx.routes.route(
          '/',
          inboundRoutes({ links: components.links, toleranceSeconds: config.toleranceSeconds }, () => {
            if (!context)
              throw new BridgeError('ADAPTER_STOPPED', 'the webhook adapter is not running', {
                status: 503,
                retryable: true,
              })
            return context
          }),
        )
      },
      deliver: (msg, target, signal) => post(msg, target, signal, config.userAgent),
      async stop() {
        context = undefined
      },
    }
  }
