import { randomBytes } from 'node:crypto'
import { invalidArgument } from './errors.ts'
import { checkInstant, checkText, describeNumber, describeType } from './input.ts'
import type { DeliveryTarget, LinkDirection, TraceInput } from './relay-port.ts'

/**
 * Checks on what callers hand to the relay repos (see `relay-port.ts`), shared by every
 * driver. Pure; each throws STORE_INVALID_ARGUMENT and never echoes the offending value.
 */

const DIRECTIONS: readonly string[] = ['in', 'out', 'both'] satisfies LinkDirection[]
const STAGES: readonly string[] = ['ingest', 'route', 'deliver'] satisfies TraceInput['stage'][]
const OUTCOMES: readonly string[] = ['ok', 'retry', 'dead', 'refused'] satisfies TraceInput['outcome'][]
const MAX_JSON_DEPTH = 64

/** A link endpoint ready to store: its options as JSON text. */
export interface CheckedEndpoint {
  network: string
  address: string
  direction: LinkDirection
  options: string
}

/** A link input ready to store: endpoints checked, the ACL's sender list as JSON text or null. */
export interface CheckedLink {
  name: string
  endpoints: CheckedEndpoint[]
  allowSenders: string | null
  rateLimitPerMinute: number | null
}

/** A fresh random link id: 'l' + 20 lower-case hex digits (80 bits). */
export function newLinkId(): string {
  return `l${randomBytes(10).toString('hex')}`
}

/** A whole `LinkInput`, defaults applied (everyone allowed, no rate limit). */
export function checkLinkInput(input: unknown): CheckedLink {
  const value = checkObject('link', input)
  return {
    name: checkText('link name', value.name),
    endpoints: checkEndpoints(value.endpoints),
    allowSenders: checkAcl(value.acl),
    rateLimitPerMinute: checkRateLimit(value.rateLimitPerMinute),
  }
}

/** A `Partial<LinkInput>`: only the fields present (not undefined) are returned. */
export function checkLinkPatch(input: unknown): Partial<CheckedLink> {
  const value = checkObject('link update', input)
  const patch: Partial<CheckedLink> = {}
  if (value.name !== undefined) patch.name = checkText('link name', value.name)
  if (value.endpoints !== undefined) patch.endpoints = checkEndpoints(value.endpoints)
  if (value.acl !== undefined) patch.allowSenders = checkAcl(value.acl)
  if (value.rateLimitPerMinute !== undefined)
    patch.rateLimitPerMinute = checkRateLimit(value.rateLimitPerMinute)
  return patch
}

function checkEndpoints(value: unknown): CheckedEndpoint[] {
  if (!Array.isArray(value))
    throw invalidArgument('link endpoints', `must be an array, got ${describeType(value)}`)
  if (value.length === 0) throw invalidArgument('link endpoints', 'must hold at least one endpoint')
  const seen = new Set<string>()
  return value.map((item: unknown, i) => {
    const what = `link endpoint ${i}`
    const endpoint = checkObject(what, item)
    const network = checkText(`${what} network`, endpoint.network)
    const address = checkText(`${what} address`, endpoint.address)
    const key = `${network}\0${address}`
    if (seen.has(key)) throw invalidArgument(what, 'repeats the (network, address) of an earlier endpoint')
    seen.add(key)
    if (typeof endpoint.direction !== 'string' || !DIRECTIONS.includes(endpoint.direction))
      throw invalidArgument(`${what} direction`, `must be one of ${DIRECTIONS.join(', ')}`)
    return {
      network,
      address,
      direction: endpoint.direction as LinkDirection,
      options: jsonObjectText(`${what} options`, endpoint.options),
    }
  })
}

function checkAcl(value: unknown): string | null {
  if (value === undefined) return null
  const acl = checkObject('link acl', value)
  const senders = acl.allowSenders
  if (senders === null) return null
  if (!Array.isArray(senders))
    throw invalidArgument('link acl allowSenders', `must be null or an array, got ${describeType(senders)}`)
  return JSON.stringify(senders.map((s: unknown, i) => checkText(`link acl allowSenders[${i}]`, s)))
}

function checkRateLimit(value: unknown): number | null {
  if (value === undefined || value === null) return null
  return checkPositiveInteger('link rateLimitPerMinute', value)
}

/**
 * Plain JSON data as JSON text that parses back equal to it: a plain object at the top, then
 * objects, arrays, strings, finite numbers, booleans and null, at most 64 levels deep. Object
 * keys holding undefined are dropped (as JSON does); anything else is refused.
 */
export function jsonObjectText(what: string, value: unknown): string {
  if (!isPlainObject(value)) throw invalidArgument(what, `must be a plain object, got ${describeType(value)}`)
  checkJson(what, value, 0)
  return JSON.stringify(value)
}

function checkJson(what: string, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) throw invalidArgument(what, `may only hold finite numbers, got ${value}`)
      return
    case 'object': {
      if (value === null) return
      if (depth >= MAX_JSON_DEPTH)
        throw invalidArgument(what, `must not nest deeper than ${MAX_JSON_DEPTH} levels`)
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || value[i] === undefined)
            throw invalidArgument(what, 'must not hold undefined in an array')
          checkJson(what, value[i], depth + 1)
        }
        return
      }
      if (!isPlainObject(value))
        throw invalidArgument(
          what,
          'may only hold plain objects, arrays, strings, numbers, booleans and null',
        )
      for (const item of Object.values(value)) if (item !== undefined) checkJson(what, item, depth + 1)
      return
    }
    default:
      throw invalidArgument(what, `may only hold JSON data, found ${typeof value}`)
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Targets of one `createMany`: every field non-empty text, targetKeys distinct. */
export function checkTargets(value: unknown): DeliveryTarget[] {
  if (!Array.isArray(value))
    throw invalidArgument('delivery targets', `must be an array, got ${describeType(value)}`)
  const keys = new Set<string>()
  return value.map((item: unknown, i) => {
    const what = `delivery target ${i}`
    const target = checkObject(what, item)
    const targetKey = checkText(`${what} targetKey`, target.targetKey)
    if (keys.has(targetKey)) throw invalidArgument(what, 'repeats the targetKey of an earlier target')
    keys.add(targetKey)
    return {
      targetKey,
      linkId: checkText(`${what} linkId`, target.linkId),
      network: checkText(`${what} network`, target.network),
      address: checkText(`${what} address`, target.address),
    }
  })
}

/**
 * An attempt's error: a non-empty code, and a message kept as diagnostic text — NUL and lone
 * surrogates become U+FFFD rather than failing the write that records the failure.
 */
export function checkError(what: string, value: unknown): { code: string; message: string } {
  const error = checkObject(what, value)
  if (typeof error.message !== 'string')
    throw invalidArgument(`${what} message`, `must be a string, got ${describeType(error.message)}`)
  return { code: checkText(`${what} code`, error.code), message: diagnosticText(error.message) }
}

/** Text from the outside world made storable: lone surrogates and NUL become U+FFFD. */
export function diagnosticText(value: string): string {
  return value.toWellFormed().replaceAll('\0', '\uFFFD')
}

/** A trace row ready to store (`processId` null when absent). */
export function checkTrace(input: unknown): Omit<TraceInput, 'processId'> & { processId: string | null } {
  const trace = checkObject('trace', input)
  const { stage, outcome, durationMs } = trace
  if (typeof stage !== 'string' || !STAGES.includes(stage))
    throw invalidArgument('trace stage', `must be one of ${STAGES.join(', ')}`)
  if (typeof outcome !== 'string' || !OUTCOMES.includes(outcome))
    throw invalidArgument('trace outcome', `must be one of ${OUTCOMES.join(', ')}`)
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0)
    throw invalidArgument(
      'trace durationMs',
      `must be a finite number >= 0, got ${describeNumber(durationMs)}`,
    )
  if (trace.startedAt === undefined) throw invalidArgument('trace startedAt', 'is required')
  return {
    messageId: checkText('trace messageId', trace.messageId),
    targetKey: trace.targetKey === null ? null : checkText('trace targetKey', trace.targetKey),
    stage: stage as TraceInput['stage'],
    attempt: checkPositiveInteger('trace attempt', trace.attempt),
    startedAt: checkInstant('trace startedAt', trace.startedAt),
    durationMs,
    outcome: outcome as TraceInput['outcome'],
    error: trace.error === null ? null : checkError('trace error', trace.error),
    processId: trace.processId === undefined ? null : checkText('trace processId', trace.processId),
  }
}

/**
 * An integer >= 1 (a limit, an attempt number).
 * @throws STORE_INVALID_ARGUMENT otherwise.
 */
export function checkPositiveInteger(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalidArgument(what, `must be an integer >= 1, got ${describeNumber(value)}`)
  return value
}

/**
 * Any safe integer (a sequence number to compare with).
 * @throws STORE_INVALID_ARGUMENT otherwise.
 */
export function checkInteger(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalidArgument(what, `must be an integer, got ${describeNumber(value)}`)
  return value
}

function checkObject(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(what, `must be an object, got ${describeType(value)}`)
  return value as Record<string, unknown>
}
