import { Counter, type Registry } from 'prom-client'

/** What the relay counts, per process: scraped from each process's /metrics. */
export interface RelayMetrics {
  ingested(source: string, duplicate: boolean): void
  delivered(network: string): void
  failed(network: string, willRetry: boolean): void
}

export function relayMetrics(registry: Registry): RelayMetrics {
  const ingested = new Counter({
    name: 'mfb_relay_ingested_total',
    help: 'Messages ingested by this process, by source; duplicate="true" for ids seen before',
    labelNames: ['source', 'duplicate'],
    registers: [registry],
  })
  const deliveries = new Counter({
    name: 'mfb_relay_deliveries_total',
    help: 'Delivery attempts made by this process, by target network and outcome (ok, retry, dead)',
    labelNames: ['network', 'outcome'],
    registers: [registry],
  })
  return {
    ingested: (source, duplicate) => ingested.inc({ source, duplicate: String(duplicate) }),
    delivered: (network) => deliveries.inc({ network, outcome: 'ok' }),
    failed: (network, willRetry) => deliveries.inc({ network, outcome: willRetry ? 'retry' : 'dead' }),
  }
}

/** For runs that keep no metrics (benchmarks, tests of the relay alone). */
export const noMetrics: RelayMetrics = { ingested: () => {}, delivered: () => {}, failed: () => {} }
