import type { Repos } from '../port.ts'
import { pgBlobs } from './blobs.ts'
import { pgCursors } from './cursors.ts'
import type { Run } from './db.ts'
import { pgDedupe } from './dedupe.ts'
import { pgDeliveries } from './deliveries.ts'
import { pgGroups } from './groups.ts'
import { pgHeld } from './held.ts'
import { pgIdentities } from './identities.ts'
import { pgLeases } from './leases.ts'
import { pgLinks } from './links.ts'
import { pgMessages } from './messages.ts'
import { pgNatives } from './natives.ts'
import { pgProcesses } from './processes.ts'
import { pgTokens } from './tokens.ts'
import { pgTraces } from './traces.ts'

/** Every repo, each reaching the database through `run` (the store's, or a transaction's). */
export function bindRepos(run: Run): Repos {
  return {
    tokens: pgTokens(run),
    cursors: pgCursors(run),
    dedupe: pgDedupe(run),
    links: pgLinks(run),
    messages: pgMessages(run),
    deliveries: pgDeliveries(run),
    traces: pgTraces(run),
    leases: pgLeases(run),
    processes: pgProcesses(run),
    held: pgHeld(run),
    groups: pgGroups(run),
    identities: pgIdentities(run),
    natives: pgNatives(run),
    blobs: pgBlobs(run),
  }
}
