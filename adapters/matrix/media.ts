import { BridgeError } from '../../src/core/errors.ts'
import type { BridgeMessage } from '../../src/core/message.ts'
import type { Logger } from '../../src/log/logger.ts'
import { type BlobRepo, MAX_BLOB_BYTES } from '../../src/store/blob-port.ts'
import type { Download, Homeserver } from './homeserver.ts'
import { completeMedia, type PendingMedia } from './translate/inbound-media.ts'
import type { MxcUri } from './translate/mxc.ts'

type MediaMessage = Extract<BridgeMessage, { kind: 'media' }>

/** What fetching an inbound file gave: the message to ingest, or the notice saying why not. */
export type FetchedFile =
  | { readonly outcome: 'message'; readonly message: BridgeMessage }
  | { readonly outcome: 'refuse'; readonly notice: string }

export interface MatrixMediaOptions {
  readonly hs: Homeserver
  readonly blobs: BlobRepo
  /** adapters.matrix.media_max_bytes; the blob store's 64 MiB bounds it too. */
  readonly maxBytes: number
  readonly log: Logger
}

/** Download attempts for a failure that may pass (5xx, 429, network), before giving up with a notice. */
const DOWNLOAD_ATTEMPTS = 3
/** How many hash → mxc pairs are remembered, so that one file is uploaded once per process. */
const KNOWN_MXC = 1000
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/
const OCTETS = 'application/octet-stream'

/**
 * Files across the Matrix side: inbound, a media event's file is downloaded through
 * authenticated media with a hard size limit and put in the blob store (`store.blobs`) under
 * its SHA-256, which the message names; outbound, each attachment's bytes are read from the
 * blob store and uploaded as the ghost that speaks. Files over the limit, missing from the
 * store, or refused by the homeserver never vanish: inbound a notice in the room says so,
 * outbound the message's notice names them (translate/outbound-media.ts).
 */
export class MatrixMedia {
  readonly #options: MatrixMediaOptions
  readonly #maxBytes: number
  /** Recent attachment hash → an mxc URI holding those bytes on this homeserver. */
  readonly #known = new Map<string, MxcUri>()

  constructor(options: MatrixMediaOptions) {
    this.#options = options
    this.#maxBytes = Math.min(options.maxBytes, MAX_BLOB_BYTES)
  }

  /**
   * Downloads the file of a pending media event, stores it and completes the message. Blocks
   * on the homeserver (up to the media timeout) and the store.
   * @throws BridgeError, retryable, when the store fails or the homeserver does not answer:
   *   the transaction is then answered with an error and sent again. Any other failure is a
   *   `refuse` with the notice to post.
   */
  async fetch(pending: PendingMedia): Promise<FetchedFile> {
    const { url } = pending.source
    let file: Download
    try {
      file = await this.#download(url)
    } catch (err) {
      if (err instanceof BridgeError && err.code === 'MATRIX_UNREACHABLE') throw err
      this.#options.log.warn({ err, mxc: url }, 'a Matrix file could not be downloaded')
      const why = err instanceof BridgeError ? err.shortMessage : 'internal error'
      return {
        outcome: 'refuse',
        notice: `⚠️ a file was not bridged: the homeserver did not give it (${why})`,
      }
    }
    if (file.kind === 'too-large') {
      this.#options.log.info(
        { mxc: url, size: file.size, limit: this.#maxBytes },
        'a Matrix file is over the limit',
      )
      return { outcome: 'refuse', notice: tooLargeNotice(file.size, this.#maxBytes) }
    }
    const mediaType = chooseMediaType(file.mediaType, pending.source.mediaType)
    try {
      const { hash, size } = await this.#options.blobs.put(file.bytes, mediaType)
      this.#remember(hash, url)
      return { outcome: 'message', message: completeMedia(pending, { hash, size, mediaType }) }
    } catch (err) {
      if (!(err instanceof BridgeError) || err.retryable) throw err
      this.#options.log.warn({ err, mxc: url }, 'a Matrix file could not be stored')
      return { outcome: 'refuse', notice: `⚠️ a file was not bridged: ${err.shortMessage}` }
    }
  }

  /**
   * Uploads the attachments of `msg` as `ghost`; resolves with the mxc URI of each one
   * uploaded, by hash. An attachment missing from the blob store, over the limit, or refused
   * by the homeserver is left out (the message's notice names it), with a log line.
   * @throws BridgeError, retryable, when the store or the homeserver fails for a while: the
   *   delivery is retried.
   */
  async upload(msg: MediaMessage, ghost: string): Promise<Map<string, MxcUri>> {
    const uploaded = new Map<string, MxcUri>()
    const log = this.#options.log
    for (const attachment of msg.attachments) {
      const { hash } = attachment
      if (uploaded.has(hash)) continue
      const known = this.#known.get(hash)
      if (known !== undefined) {
        uploaded.set(hash, known)
        continue
      }
      const blob = await this.#options.blobs.get(hash)
      if (blob === undefined) {
        log.info({ id: msg.id, hash }, 'an attachment is not in the blob store: named in a notice')
        continue
      }
      if (blob.bytes.length > this.#maxBytes) {
        log.info({ id: msg.id, hash, size: blob.bytes.length }, 'an attachment is over the media limit')
        continue
      }
      try {
        const mxc = await this.#options.hs.upload(ghost, blob.bytes, attachment.mediaType, attachment.name)
        uploaded.set(hash, mxc)
        this.#remember(hash, mxc)
      } catch (err) {
        if (err instanceof BridgeError && err.retryable) throw err
        log.warn({ err, id: msg.id, hash }, 'the homeserver refused an upload: named in a notice')
      }
    }
    return uploaded
  }

  /** Downloads, trying again a little while the failure may pass. */
  async #download(url: MxcUri): Promise<Download> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#options.hs.download(url, this.#maxBytes)
      } catch (err) {
        const retryable = err instanceof BridgeError && err.retryable && err.code !== 'MATRIX_UNREACHABLE'
        if (!retryable || attempt >= DOWNLOAD_ATTEMPTS) throw err
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (attempt - 1)))
      }
    }
  }

  #remember(hash: string, mxc: MxcUri): void {
    this.#known.delete(hash)
    this.#known.set(hash, mxc)
    if (this.#known.size > KNOWN_MXC) this.#known.delete(this.#known.keys().next().value as string)
  }
}

/** The served media type when it says something, else the declared one, else octets. */
function chooseMediaType(served: string | undefined, declared: string | undefined): string {
  const usable = (type: string | undefined) =>
    type !== undefined && type.length <= 255 && MEDIA_TYPE.test(type)
  const type = served?.toLowerCase()
  if (usable(type) && type !== OCTETS) return type as string
  return usable(declared) ? (declared as string) : OCTETS
}

/** "⚠️ a file was not bridged: it is 20 MB, the limit is 16 MB" (MB of 2^20 bytes). */
export function tooLargeNotice(size: number | undefined, limit: number): string {
  const shown = size === undefined ? undefined : megabytes(size)
  const it = shown === undefined || shown === megabytes(limit) ? `more than ${megabytes(limit)}` : shown
  return `⚠️ a file was not bridged: it is ${it}, the limit is ${megabytes(limit)}`
}

function megabytes(bytes: number): string {
  const mb = bytes / 2 ** 20
  if (mb < 0.1) return `${bytes.toLocaleString('en')} bytes`
  return `${mb.toFixed(1).replace(/\.0$/, '')} MB`
}
