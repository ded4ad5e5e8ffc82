/**
 * `mxc://<server>/<media id>` content URIs. The one shape of media reference the bridge
 * accepts from or hands to Matrix: an `http(s)` image in a message would make every reader's
 * client fetch from a host the sender chose (a tracking pixel at best).
 */
export type MxcUri = string & { readonly __brand: 'MxcUri' }

// Server name as the spec's grammar allows (DNS name, IPv4 or [IPv6], optional port); the
// media id is the spec's opaque [A-Za-z0-9_-]+.
const MXC = /^mxc:\/\/([A-Za-z0-9.-]{1,255}|\[[0-9A-Fa-f:.]{2,45}\])(:\d{1,5})?\/[A-Za-z0-9_-]{1,255}$/

/** Whether a string is a well-formed mxc URI. */
export function isMxcUri(value: unknown): value is MxcUri {
  return typeof value === 'string' && MXC.test(value)
}
