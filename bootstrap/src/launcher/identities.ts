import type { NetworkLayout } from './paths.js'

/**
 * The peer ID kept in `<dir>/identity.key`, created there if missing: the same file, and so the same ID,
 * the daemon started on that directory uses. Loaded lazily, so `quire --help` does not load libp2p.
 */
export async function peerIdOfDataDir(dir: string): Promise<string> {
  const { loadOrCreateIdentity, peerIdOfKey } = await import('@quire/node')
  return peerIdOfKey(await loadOrCreateIdentity(dir))
}

/**
 * The relay's and the compute peer's IDs, known before either starts: the web app's `autoGrant` list is
 * written before the relay that serves it starts, and a second start finds the same keys.
 */
export async function localIdentities(layout: NetworkLayout): Promise<{ relay: string; compute: string }> {
  const [relay, compute] = await Promise.all([peerIdOfDataDir(layout.relayDir), peerIdOfDataDir(layout.computeDir)])
  return { relay, compute }
}
