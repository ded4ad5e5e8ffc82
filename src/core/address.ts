import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { InvalidInputError } from './errors.ts'

/**
 * Addresses are URIs, one scheme per network:
 * `mf:<peerId>`, `matrix:@user:server` (also `!room:server`, `#alias:server`),
 * `mailto:local@domain`, and CAIP-10 `eip155:<chainId>:<0xaddress>` for EVM accounts.
 * `parseAddress(formatAddress(a))` equals `a`, and `formatAddress(parseAddress(s))` equals
 * `s` for every address in canonical form (EVM addresses print EIP-55 checksummed).
 */
export type Address =
  | { readonly network: 'mainframe'; readonly peerId: string }
  | {
      readonly network: 'matrix'
      readonly sigil: MatrixSigil
      readonly localpart: string
      readonly server: string
    }
  | { readonly network: 'email'; readonly local: string; readonly domain: string }
  | { readonly network: 'evm'; readonly chainId: string; readonly address: string }

export type MatrixSigil = '@' | '!' | '#'

const PEER_ID = /^(12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{38,58}$/
const MATRIX = /^([@!#])([^:\s]+):([A-Za-z0-9.-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?)$/
const MATRIX_LOCALPART = /^[\x21-\x39\x3b-\x7e]+$/
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const DOMAIN =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const CAIP2_REFERENCE = /^[-_a-zA-Z0-9]{1,32}$/
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/

/** Parses an address URI; throws InvalidInputError (`ADDRESS_INVALID`) naming what is wrong. */
export function parseAddress(uri: string): Address {
  const colon = uri.indexOf(':')
  if (colon <= 0) throw invalid(uri, 'it has no scheme', 'write it as mf:…, matrix:…, mailto:… or eip155:…')
  const scheme = uri.slice(0, colon)
  const rest = uri.slice(colon + 1)
  switch (scheme) {
    case 'mf':
      if (!PEER_ID.test(rest)) throw invalid(uri, 'the peer id is not a base58btc libp2p peer id')
      return { network: 'mainframe', peerId: rest }
    case 'matrix':
      return parseMatrix(uri, rest)
    case 'mailto':
      return parseEmail(uri, rest)
    case 'eip155':
      return parseEvm(uri, rest)
    default:
      throw invalid(
        uri,
        `the scheme "${scheme}" is not one the bridge knows`,
        'use mf:, matrix:, mailto: or eip155:',
      )
  }
}

/** Prints an address in its canonical URI form. */
export function formatAddress(address: Address): string {
  switch (address.network) {
    case 'mainframe':
      return `mf:${address.peerId}`
    case 'matrix':
      return `matrix:${address.sigil}${address.localpart}:${address.server}`
    case 'email':
      return `mailto:${address.local}@${address.domain}`
    case 'evm':
      return `eip155:${address.chainId}:${toChecksumAddress(address.address)}`
  }
}

/** EIP-55 mixed-case checksum of a 20-byte hex address. */
export function toChecksumAddress(address: string): string {
  const lower = address.slice(2).toLowerCase()
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)))
  let out = '0x'
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i] as string
    out += Number.parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c
  }
  return out
}

function parseMatrix(uri: string, rest: string): Address {
  const m = MATRIX.exec(rest)
  if (!m) throw invalid(uri, 'a Matrix id is @user:server, !room:server or #alias:server')
  const [, sigil, localpart, server] = m as unknown as [string, MatrixSigil, string, string]
  if (!MATRIX_LOCALPART.test(localpart))
    throw invalid(uri, 'the Matrix localpart has characters outside printable ASCII')
  if (rest.length > 255) throw invalid(uri, `a Matrix id is at most 255 characters, got ${rest.length}`)
  return { network: 'matrix', sigil, localpart, server }
}

function parseEmail(uri: string, rest: string): Address {
  const at = rest.lastIndexOf('@')
  if (at <= 0) throw invalid(uri, 'an email address needs local@domain')
  const local = rest.slice(0, at)
  const domain = rest.slice(at + 1)
  if (local.length > 64 || !EMAIL_LOCAL.test(local))
    throw invalid(uri, 'the part before @ is not a valid address')
  if (!DOMAIN.test(domain) || !domain.includes('.')) throw invalid(uri, `"${domain}" is not a domain name`)
  return { network: 'email', local, domain: domain.toLowerCase() }
}

function parseEvm(uri: string, rest: string): Address {
  const parts = rest.split(':')
  if (parts.length !== 2) throw invalid(uri, 'CAIP-10 is eip155:<chainId>:<0xaddress>')
  const [chainId, address] = parts as [string, string]
  if (!CAIP2_REFERENCE.test(chainId) || !/^[1-9]\d*$/.test(chainId))
    throw invalid(uri, `the chain id "${chainId}" is not a positive decimal number`)
  if (!EVM_ADDRESS.test(address)) throw invalid(uri, 'the account is not 0x followed by 40 hex digits')
  const body = address.slice(2)
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase()
  if (mixed && toChecksumAddress(address) !== address)
    throw invalid(
      uri,
      'the address has a wrong EIP-55 checksum',
      'copy the address again, or write it in lower case',
    )
  return { network: 'evm', chainId, address: `0x${body.toLowerCase()}` }
}

function invalid(uri: string, what: string, hint?: string): InvalidInputError {
  const shown = uri.length > 120 ? `${uri.slice(0, 120)}…` : uri
  return new InvalidInputError('ADDRESS_INVALID', `invalid address "${shown}": ${what}`, hint ? { hint } : {})
}
