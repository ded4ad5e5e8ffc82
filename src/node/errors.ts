import { BridgeError } from '../core/errors.ts'

/** The libp2p host could not start. */
export function nodeStartFailed(listen: readonly string[], cause: unknown): BridgeError {
  return new BridgeError('NODE_START_FAILED', `the Mainframe node could not listen on ${listen.join(', ')}`, {
    cause,
    hint: [
      'another process may hold the port: change node.listen',
      'each address must be a multiaddr such as /ip4/127.0.0.1/tcp/4001 or /ip4/127.0.0.1/tcp/4002/ws',
    ],
    status: 503,
  })
}
