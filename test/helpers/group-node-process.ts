import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type DrivenChild, forkDriven, freePort } from './driven-child.ts'

const CHILD = fileURLToPath(new URL('./group-node-child.ts', import.meta.url))

/** A group message a node handed to its onMessage handler. */
export interface GroupEvent {
  groupId: string
  from: string
  text: string
}

/** A node with the group service in a child process (test/helpers/group-node-child.ts). */
export interface GroupNodeProcess extends DrivenChild {
  /** Group messages it received, in arrival order. */
  readonly messages: GroupEvent[]
  /** Groups it was told it was removed from. */
  readonly removed: string[]
  /** Starts it again with the same key, port and data directory. */
  restart(): Promise<GroupNodeProcess>
}

export interface GroupNodeSpec {
  dir?: string
  seedHex?: string
  port?: number
  bootstrap?: string[]
  /** Packet holding on (the group service sends with sendOrHold); default true. */
  hold?: boolean
}

/** Forks a group node with this Node (24) and resolves once it reports `ready`. */
export async function startGroupNode(
  spec: GroupNodeSpec = {},
  timeoutMs = 20_000,
): Promise<GroupNodeProcess> {
  const full = {
    dir: spec.dir ?? mkdtempSync(join(tmpdir(), 'mfb-group-')),
    seedHex: spec.seedHex ?? randomBytes(32).toString('hex'),
    port: spec.port ?? (await freePort()),
    bootstrap: spec.bootstrap ?? [],
    hold: spec.hold ?? true,
  }
  const messages: GroupEvent[] = []
  const removed: string[] = []
  const driven = await forkDriven(
    CHILD,
    full,
    (m) => {
      if (m.event === 'group-message')
        messages.push({ groupId: m.groupId as string, from: m.from as string, text: m.text as string })
      else if (m.event === 'removed') removed.push(m.groupId as string)
    },
    timeoutMs,
  )
  return {
    ...driven,
    messages,
    removed,
    restart: () => startGroupNode(full, timeoutMs),
  }
}
