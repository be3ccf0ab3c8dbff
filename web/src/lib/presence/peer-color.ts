/**
 * A stable colour per peer id, for peers that chose none and for authors who are not online.
 */

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42a4b4', '#f032e6', '#808000', '#9a6324', '#800000', '#469990', '#000075']

/** One of twelve distinct colours, always the same for one peer id (FNV-1a hash). */
export function colorForPeer(peerId: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < peerId.length; i++) {
    hash ^= peerId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return PALETTE[(hash >>> 0) % PALETTE.length]!
}

/** A short label for a peer without a display name: the end of its id, which differs between peers. */
export function shortPeerName(peerId: string): string {
  return `peer …${peerId.slice(-6)}`
}
