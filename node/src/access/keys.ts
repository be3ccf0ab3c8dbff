/**
 * Peer ids and keys. An Ed25519 peer id embeds its public key (identity multihash), so a signature can be
 * checked with nothing but the signer's peer id: no key directory, no network.
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey, PublicKey } from '@libp2p/interface'
import { AccessError } from './errors.js'

/**
 * The Ed25519 public key inside a peer id string, or `undefined` when the string is not a peer id in its
 * canonical (base58btc) form or holds another key type. The canonical form is required so that one key
 * has one spelling: membership is keyed by these strings.
 */
export function publicKeyOfPeerId(peerId: unknown): PublicKey | undefined {
  if (typeof peerId !== 'string' || peerId.length > 128) return undefined
  try {
    const parsed = peerIdFromString(peerId)
    if (parsed.type !== 'Ed25519' || parsed.toString() !== peerId) return undefined
    return parsed.publicKey
  } catch {
    return undefined
  }
}

/** True when `peerId` is a canonical Ed25519 peer id string. */
export function isEd25519PeerId(peerId: unknown): peerId is string {
  return publicKeyOfPeerId(peerId) !== undefined
}

/** The peer id string of a signing key; refuses keys other than Ed25519. */
export function peerIdOfKey(key: PrivateKey): string {
  if (key?.type !== 'Ed25519') {
    throw new AccessError('KEY_UNSUPPORTED', `Quire signs access entries with Ed25519 keys, not ${String(key?.type)}; use the identity from loadOrCreateIdentity.`)
  }
  return peerIdFromPrivateKey(key).toString()
}
