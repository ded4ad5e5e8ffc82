/**
 * The crypto module's public API: node identities (Ed25519 + derived X25519), sealed boxes
 * with a sealed, deniable sender, and key files at rest. Pure: imports nothing of the
 * project but src/core/errors.ts.
 */

export type { BackendName } from './backend.ts'
export {
  KeyFileError,
  type KeyFileErrorCode,
  LowOrderKeyError,
  SealedBoxAuthError,
  SealedBoxMalformedError,
} from './errors.ts'
export {
  generateIdentity,
  identityFromSeed,
  type NodeIdentity,
  publicKeyFromPeerId,
  verifySignature,
  x25519PublicKeyFromEd25519,
} from './identity.ts'
export {
  type KeyFileInfo,
  loadKeyFile,
  readKeyFileInfo,
  type SaveKeyFileOptions,
  saveKeyFile,
} from './keyfile.ts'
export { type Opened, open, SEALED_BOX_OVERHEAD, type SealOptions, seal } from './sealed-box.ts'
