import { Counter, type Registry } from 'prom-client'

/** What the node counts, per process (scraped from /metrics). */
export interface NodeMetrics {
  /** An inbound frame or message refused: by protocol and a short reason code. */
  dropped(protocol: string, reason: string): void
  /** A direct message handed on (received) or acknowledged by its recipient (sent). */
  direct(direction: 'received' | 'sent', duplicate?: boolean): void
}

export function nodeMetrics(registry: Registry): NodeMetrics {
  const dropped = new Counter({
    name: 'mfb_node_dropped_total',
    help: 'Inbound frames or messages the node refused, by protocol and reason',
    labelNames: ['protocol', 'reason'],
    registers: [registry],
  })
  const direct = new Counter({
    name: 'mfb_node_direct_messages_total',
    help: 'Direct messages received (handed on) and sent (receipt verified); duplicate="true" for ids seen before',
    labelNames: ['direction', 'duplicate'],
    registers: [registry],
  })
  return {
    dropped: (protocol, reason) => dropped.inc({ protocol, reason }),
    direct: (direction, duplicate = false) => direct.inc({ direction, duplicate: String(duplicate) }),
  }
}

export const noNodeMetrics: NodeMetrics = { dropped: () => {}, direct: () => {} }
