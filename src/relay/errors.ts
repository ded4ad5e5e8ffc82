import { BridgeError } from '../core/errors.ts'

/** The message a job names is not in the store (it was never ingested here): nothing to retry. */
export function messageMissing(id: string): BridgeError {
  return new BridgeError('MESSAGE_MISSING', `message ${id} is not in the store`, {
    hint: 'the job outlived its message (store reset?); re-send the message',
    retryable: false,
  })
}

/** No adapter runs for the target's network in this process. */
export function adapterMissing(network: string): BridgeError {
  return new BridgeError('ADAPTER_MISSING', `no adapter for network "${network}" is running`, {
    hint: `enable the ${network} adapter in the config, or remove the endpoint from the link`,
    retryable: false,
  })
}

/** The link or its endpoint was deleted after the delivery was planned. */
export function targetGone(linkId: string): BridgeError {
  return new BridgeError('TARGET_GONE', `link ${linkId} or its endpoint no longer exists`, {
    hint: 'the link was changed after this message was routed; nothing is sent',
    retryable: false,
  })
}

/** An earlier message of the same conversation to the same target is still on its way. */
export function orderBlocked(network: string, waitedMs: number): BridgeError {
  return new BridgeError(
    'ORDER_BLOCKED',
    `an earlier message of this conversation to ${network} is still pending after ${waitedMs} ms`,
    {
      hint: 'messages to this target keep their order; this one goes once the earlier one is delivered or dead',
      retryable: true,
    },
  )
}

/** The adapter did not answer within the delivery timeout. */
export function deliveryTimeout(network: string, ms: number): BridgeError {
  return new BridgeError('DELIVERY_TIMEOUT', `${network} delivery did not finish within ${ms} ms`, {
    hint: 'the target is slow or unreachable; it will be retried',
    retryable: true,
  })
}
