import { concatBytes } from '../../crypto/bytes.ts'
import { type NodeIdentity, publicKeyFromPeerId, verifySignature } from '../../crypto/identity.ts'

const CONTEXT = new TextEncoder().encode('mainframe/receipt/v1')

/** A recipient's signed statement that it received message `mid` from `sender`. */
export interface Receipt {
  /** The 32-byte message id on the node's wire. */
  readonly mid: Uint8Array
  /** Peer id of the node that received it and signed. */
  readonly recipient: string
  /** Epoch ms at which the recipient had handed the message on. */
  readonly deliveredAt: number
  /** Ed25519 by the recipient over `receiptBytes` (docs/wire.md). */
  readonly signature: Uint8Array
}

/** What a receipt signs: context ‖ mid ‖ sender's Ed25519 key ‖ deliveredAt (u64 big-endian). */
export function receiptBytes(mid: Uint8Array, senderPublicKey: Uint8Array, deliveredAt: number): Uint8Array {
  const time = new Uint8Array(8)
  new DataView(time.buffer).setBigUint64(0, BigInt(deliveredAt))
  return concatBytes(CONTEXT, mid, senderPublicKey, time)
}

/** The recipient signs that it received `mid` from `senderPublicKey`. */
export function signReceipt(
  recipient: NodeIdentity,
  mid: Uint8Array,
  senderPublicKey: Uint8Array,
  deliveredAt: number,
): Uint8Array {
  return recipient.sign(receiptBytes(mid, senderPublicKey, deliveredAt))
}

/** Whether `receipt` is the recipient's valid signature for a message this sender sent. */
export function verifyReceipt(receipt: Receipt, senderPublicKey: Uint8Array): boolean {
  return verifySignature(
    publicKeyFromPeerId(receipt.recipient),
    receiptBytes(receipt.mid, senderPublicKey, receipt.deliveredAt),
    receipt.signature,
  )
}
