/**
 * A bounded least-recently-used map: reads refresh an entry, and an insert past `capacity`
 * drops the oldest one. Map keeps insertion order, so the first key is the oldest.
 */
export class Lru<K, V> {
  readonly capacity: number
  readonly #map = new Map<K, V>()
  #newest: K | undefined

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be >= 1, got ${capacity}`)
    this.capacity = capacity
  }

  get size(): number {
    return this.#map.size
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key)
    if (value === undefined || key === this.#newest) return value
    this.#map.delete(key)
    this.#map.set(key, value)
    this.#newest = key
    return value
  }

  set(key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    this.#newest = key
    if (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next()
      if (!oldest.done) this.#map.delete(oldest.value)
    }
  }

  delete(key: K): boolean {
    if (key === this.#newest) this.#newest = undefined
    return this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
    this.#newest = undefined
  }
}
