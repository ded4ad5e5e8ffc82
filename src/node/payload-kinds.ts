/**
 * The first byte of every direct message payload says who on the recipient node takes it
 * (docs/wire.md, "Direct messages"): the node reads it to hand the payload on.
 */
export const PAYLOAD_KINDS = {
  /** A bridged message (adapters/mainframe/payload.ts): into the pipeline. */
  bridged: 0x01,
  /** Group control (welcomes, commits, held group messages): to the group service. */
  groupControl: 0x02,
  /** A bridged message signed by a bridge identity and/or addressed to one: into the pipeline. */
  bridgedSigned: 0x03,
} as const
