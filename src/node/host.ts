import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { type KadDHT, kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import type { NodeIdentity } from '../crypto/identity.ts'
import { nodeStartFailed } from './errors.ts'
import { RECORD_NAMESPACE, selectHostedBy, validateHostedBy } from './identities/record.ts'

/** The Kademlia protocol id: private, so Mainframe's DHT never mixes with the IPFS one. */
export const KAD_PROTOCOL = '/mainframe/kad/1.0.0'

/** What `createHost` needs from `config.node`. */
export interface HostOptions {
  /** Multiaddrs to listen on: TCP (`/ip4/…/tcp/…`) and WebSockets (`…/ws`). */
  readonly listen: readonly string[]
  /** Multiaddrs with `/p2p/<peer id>` of peers to join the network through. */
  readonly bootstrap: readonly string[]
  /** Open connections past which the connection manager prunes the least useful. */
  readonly maxConnections: number
  /**
   * Keep loopback and private addresses in the DHT (a test network on 127.0.0.1, or a LAN).
   * Off on the public network: peers would otherwise be told unreachable addresses.
   */
  readonly privateAddresses: boolean
  /** The largest message: gossipsub frames (a group message in one) are read up to it plus room for MLS. */
  readonly maxMessageBytes: number
}

/** What a group frame carries beyond its payload: MLS framing, signatures, gossipsub's own. */
const GROUP_FRAME_ROOM = 1024 * 1024

export type Services = {
  identify: ReturnType<ReturnType<typeof identify>>
  ping: ReturnType<ReturnType<typeof ping>>
  dht: KadDHT
  pubsub: ReturnType<ReturnType<typeof gossipsub>>
  relay: ReturnType<ReturnType<typeof circuitRelayServer>>
}

/** A started libp2p host with the Mainframe services. */
export type Host = Libp2p<Services>

/**
 * Creates and starts the libp2p host of a Mainframe node: TCP and WebSockets, Noise, Yamux,
 * identify, ping, a Kademlia DHT in server mode on `/mainframe/kad/1.0.0`, gossipsub, circuit
 * relay v2 (as a relay for others, and as a transport to reach peers behind one), bootstrap
 * peers from the config. Its key is the node identity, so its peer id is the node's.
 * @throws NODE_START_FAILED naming the listen addresses (port taken, bad multiaddr).
 */
export async function createHost(identity: NodeIdentity, options: HostOptions): Promise<Host> {
  const privateKey = await generateKeyPairFromSeed('Ed25519', identity.seed)
  try {
    return await createLibp2p({
      privateKey,
      addresses: { listen: [...options.listen] },
      transports: [tcp(), webSockets(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: options.maxConnections },
      peerDiscovery: options.bootstrap.length > 0 ? [bootstrap({ list: [...options.bootstrap] })] : [],
      services: {
        identify: identify(),
        ping: ping(),
        dht: kadDHT({
          protocol: KAD_PROTOCOL,
          clientMode: false,
          peerInfoMapper: options.privateAddresses ? passthroughMapper : removePrivateAddressesMapper,
          // Bridge identities' "hosted by" records: every DHT node checks them before storing.
          validators: { [RECORD_NAMESPACE]: validateHostedBy },
          selectors: { [RECORD_NAMESPACE]: selectHostedBy },
        }),
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          maxInboundDataLength: options.maxMessageBytes + GROUP_FRAME_ROOM,
        }),
        relay: circuitRelayServer(),
      },
    })
  } catch (err) {
    throw nodeStartFailed(options.listen, err)
  }
}
