/**
 * Sender allow-lists of links: exact address URIs, or patterns where `*` matches any run of
 * characters (`matrix:@*:example.com`). `null` allows everyone.
 */
export function senderAllowed(allow: readonly string[] | null, sender: string): boolean {
  if (allow === null) return true
  return allow.some((pattern) =>
    pattern.includes('*') ? globToRegExp(pattern).test(sender) : pattern === sender,
  )
}

const cache = new Map<string, RegExp>()

function globToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern)
  if (!re) {
    const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    re = new RegExp(`^${escaped.join('.*')}$`)
    if (cache.size > 1000) cache.clear()
    cache.set(pattern, re)
  }
  return re
}
