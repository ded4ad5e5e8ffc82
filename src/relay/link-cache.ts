import type { Link, LinkInput, LinkRepo } from '../store/port.ts'

/**
 * Links change rarely and are read for every message (route) and every delivery: this keeps
 * them in memory for `ttlMs`. Changes made through this repo take effect at once in this
 * process; changes made by another process are seen within `ttlMs` (1 s by default).
 */
export class CachedLinks implements LinkRepo {
  readonly #repo: LinkRepo
  readonly #ttlMs: number
  readonly #now: () => number
  #byId = new Map<string, { at: number; link: Link | undefined }>()
  #byEndpoint = new Map<string, { at: number; links: Link[] }>()

  constructor(repo: LinkRepo, ttlMs = 1000, now: () => number = Date.now) {
    this.#repo = repo
    this.#ttlMs = ttlMs
    this.#now = now
  }

  async get(id: string): Promise<Link | undefined> {
    const hit = this.#byId.get(id)
    if (hit && this.#now() - hit.at < this.#ttlMs) return hit.link
    const link = await this.#repo.get(id)
    this.#remember(this.#byId, id, { at: this.#now(), link })
    return link
  }

  async findByEndpoint(network: string, address: string): Promise<Link[]> {
    const key = `${network}/${address}`
    const hit = this.#byEndpoint.get(key)
    if (hit && this.#now() - hit.at < this.#ttlMs) return hit.links
    const links = await this.#repo.findByEndpoint(network, address)
    this.#remember(this.#byEndpoint, key, { at: this.#now(), links })
    return links
  }

  list(): Promise<Link[]> {
    return this.#repo.list()
  }

  async create(input: LinkInput): Promise<Link> {
    const link = await this.#repo.create(input)
    this.#clear()
    return link
  }

  async update(id: string, input: Partial<LinkInput>): Promise<Link | undefined> {
    const link = await this.#repo.update(id, input)
    this.#clear()
    return link
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.#repo.delete(id)
    this.#clear()
    return deleted
  }

  #clear(): void {
    this.#byId = new Map()
    this.#byEndpoint = new Map()
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= 10_000) map.clear()
    map.set(key, value)
  }
}
