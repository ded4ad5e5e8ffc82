import { BridgeError } from '../../core/errors.ts'
import { type NodeIdentity, publicKeyFromPeerId, verifySignature } from '../../crypto/identity.ts'
import { sameBytes } from './assemble.ts'
import { MID_BYTES } from './frames.ts'

const CONTEXT = new TextEncoder().encode('mainframe/receipts/v1')

/** A recipient's signed statement that it received message `mid` from `sender`. */
export interface Receipt {
  /** The 32-byte message id on the node's wire. */
  readonly mid: Uint8Array
  /** Peer id of the node that received it and signed. */
  readonly recipient: string
  /** Epoch ms by which the recipient had handed the message on (with the rest of `mids`). */
  readonly deliveredAt: number
  /** Ed25519 by the recipient over `receiptBytes(mids, …)` (docs/wire.md). */
  readonly signature: Uint8Array
  /**
   * Every message id the signature covers, `mid` among them: the recipient signs once for
   * all the messages it handed on since its last answer. Kept so the receipt stays checkable.
   */
  readonly mids: readonly Uint8Array[]
}

/**
 * What a receipt signs: context ‖ sender's Ed25519 key ‖ deliveredAt (u64) ‖ count (u16) ‖
 * the mids, in the order the messages came (big-endian, docs/wire.md).
 * @throws DIRECT_RECEIPT_INVALID when a mid is not 32 bytes or there are none or too many.
 */
export function receiptBytes(
  mids: readonly Uint8Array[],
  senderPublicKey: Uint8Array,
  deliveredAt: number,
): Uint8Array {
  if (!wellFormed(mids))
    throw new BridgeError('DIRECT_RECEIPT_INVALID', `a receipt covers 1 to 65535 ids of ${MID_BYTES} bytes`, {
      hint: 'a bug of the caller: receipts are made only for ids read from envelope frames',
    })
  const head = CONTEXT.length + 32 + 8 + 2
  const out = new Uint8Array(head + mids.length * MID_BYTES)
  out.set(CONTEXT)
  out.set(senderPublicKey, CONTEXT.length)
  const view = new DataView(out.buffer)
  view.setBigUint64(CONTEXT.length + 32, BigInt(deliveredAt))
  view.setUint16(CONTEXT.length + 40, mids.length)
  mids.forEach((mid, i) => {
    out.set(mid, head + i * MID_BYTES)
  })
  return out
}

/** The recipient signs that it received and handed on each of `mids` from `senderPublicKey`. */
export function signReceipts(
  recipient: NodeIdentity,
  mids: readonly Uint8Array[],
  senderPublicKey: Uint8Array,
  deliveredAt: number,
): Uint8Array {
  return recipient.sign(receiptBytes(mids, senderPublicKey, deliveredAt))
}

/**
 * Whether `signature` is the recipient's (its Ed25519 key, as its peer id holds it) over
 * `mids` sent by this sender: one check for every message the batch covers.
 */
export function verifyReceipts(
  batch: {
    readonly mids: readonly Uint8Array[]
    readonly deliveredAt: number
    readonly signature: Uint8Array
  },
  recipientPublicKey: Uint8Array,
  senderPublicKey: Uint8Array,
): boolean {
  if (!wellFormed(batch.mids)) return false
  return verifySignature(
    recipientPublicKey,
    receiptBytes(batch.mids, senderPublicKey, batch.deliveredAt),
    batch.signature,
  )
}

/** Whether `receipt` is the recipient's valid signature for a message this sender sent. */
export function verifyReceipt(receipt: Receipt, senderPublicKey: Uint8Array): boolean {
  return (
    receipt.mids.some((mid) => sameBytes(mid, receipt.mid)) &&
    verifyReceipts(receipt, publicKeyFromPeerId(receipt.recipient), senderPublicKey)
  )
}

function wellFormed(mids: readonly Uint8Array[]): boolean {
  return mids.length > 0 && mids.length <= 0xffff && mids.every((mid) => mid.length === MID_BYTES)
}
