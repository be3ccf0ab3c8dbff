/**
 * What every `quire project` command runs on: this device's identity and document store in the data
 * directory, a libp2p peer with read and write enforcement like any other member's, and optionally a
 * connection to one relay. Opened per command and closed before it exits.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { DocHandle, DocumentId, PeerId } from '@automerge/automerge-repo'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { ClassicLevel } from 'classic-level'
import { LevelStorageAdapter } from '@quire/crdt'
import {
  ProjectIndex,
  accessShareConfig,
  accessWriteFilter,
  createQuireNode,
  createQuireRepo,
  isEd25519PeerId,
  loadOrCreateIdentity,
  peerIdOfKey,
  sameHeads,
  type QuireNode,
  type QuireRepo,
} from '@quire/node'
import { ProjectCliError } from './errors.js'

/** Where `--data-dir` points when it is not given: `./.quire` if it exists, else `~/.quire`. */
export function defaultDataDir(cwd: string, env: NodeJS.ProcessEnv): string {
  const local = join(cwd, '.quire')
  if (existsSync(local)) return local
  return join(env.HOME ?? homedir(), '.quire')
}

/** Projects this device created or administered before: their owners, pinned (the project document's is unsigned). */
type KnownProjects = Record<string, { owner: string; name?: string }>

/** An open `quire project` session. */
export interface Session {
  readonly key: Awaited<ReturnType<typeof loadOrCreateIdentity>>
  readonly self: string
  readonly node: QuireNode
  readonly q: QuireRepo
  readonly index: ProjectIndex
  readonly dataDir: string
  /** The relay's peer id and address when `--relay` was given and reached. */
  readonly relay?: { peerId: string; address: Multiaddr }
  knownOwner(project: string): string | undefined
  remember(project: string, owner: string, name?: string): Promise<void>
  /** Resolves once the relay reports our heads of `handle` (its acknowledgement: relays ack only durable changes). */
  synced(handle: DocHandle<unknown>, timeoutMs: number): Promise<void>
  close(): Promise<void>
}

/** Opens the data directory and, with `relay`, connects to it (rejecting with a clear error if it cannot). */
export async function openSession(init: { dataDir: string; relay?: string; timeoutMs: number }): Promise<Session> {
  const dataDir = resolve(init.dataDir)
  let address: Multiaddr | undefined
  let relayId: string | undefined
  if (init.relay !== undefined) {
    try {
      address = multiaddr(init.relay)
    } catch {
      throw new ProjectCliError('QUIRE_FLAG_INVALID', `--relay: ${JSON.stringify(init.relay)} is not a multiaddr; use the relay's address ending in /p2p/<peer id> (its ready line or /quire.json lists them)`)
    }
    relayId = address.getComponents().find((c) => c.name === 'p2p')?.value
    if (relayId === undefined || !isEd25519PeerId(relayId)) {
      throw new ProjectCliError('QUIRE_FLAG_INVALID', `--relay: ${init.relay} must end in /p2p/<the relay's peer id>`)
    }
  }
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new ProjectCliError('QUIRE_DATA_DIR_UNAVAILABLE', `cannot create the data directory ${dataDir} (${(err as Error).message}); choose another with --data-dir`)
  }
  const key = await loadOrCreateIdentity(dataDir)
  const self = peerIdOfKey(key)
  const db = new ClassicLevel<string, Uint8Array>(join(dataDir, 'projects-db'))
  try {
    await db.open()
  } catch (err) {
    const locked = (err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED'
    throw new ProjectCliError('QUIRE_DATA_DIR_IN_USE', locked
      ? `${dataDir}/projects-db is in use by another quire project command; wait for it to finish`
      : `cannot open ${dataDir}/projects-db (${(err as Error).message})`)
  }
  const cleanup: Array<() => Promise<unknown> | void> = [() => db.close()]
  const close = async (): Promise<void> => {
    for (const c of cleanup.splice(0).reverse()) await Promise.resolve(c()).catch(() => {})
  }
  try {
    const knownPath = join(dataDir, 'projects.json')
    const known: KnownProjects = existsSync(knownPath) ? JSON.parse(await readFile(knownPath, 'utf8')) as KnownProjects : {}
    const node = await createQuireNode({ role: 'peer', privateKey: key, listen: [], allowLoopback: true })
    cleanup.push(() => node.stop())
    const index = new ProjectIndex({ onProblem: (p) => process.stderr.write(`quire project: ${p.code} in ${p.project}: ${p.message}\n`) })
    cleanup.push(() => index.stop())
    const q = await createQuireRepo({
      libp2p: node,
      storage: new LevelStorageAdapter(db, { sublevel: 'docs', closeDatabase: false }),
      // Short-lived: the relay keeps no sync state for us, so each session starts a full exchange and the
      // relay always answers with its heads (an acknowledgement even when nothing changed).
      isEphemeral: true,
      shareConfig: accessShareConfig({ index }),
      wrapNetwork: [accessWriteFilter({ index })],
    })
    cleanup.push(async () => {
      await q.stop()
      // automerge-repo's throttled saves that fire after stop find the storage retired (Y18); let them run.
      await new Promise((r) => setTimeout(r, 150))
    })
    await index.attach(q.repo)
    let relay: Session['relay']
    if (address !== undefined && relayId !== undefined) {
      try {
        await node.dial(address, { signal: AbortSignal.timeout(init.timeoutMs) })
        await until(() => q.repo.peers.includes(relayId as PeerId), init.timeoutMs)
      } catch (err) {
        throw new ProjectCliError('QUIRE_RELAY_UNREACHABLE', `cannot reach the relay at ${init.relay} (${(err as Error).message}); is it running, and is the address right?`)
      }
      relay = { peerId: relayId, address }
    }
    return {
      key, self, node, q, index, dataDir, ...(relay !== undefined && { relay }),
      knownOwner: (project) => known[project]?.owner,
      remember: async (project, owner, name) => {
        known[project] = { owner, ...(name !== undefined && { name }) }
        await writeFile(knownPath, JSON.stringify(known, null, 2) + '\n', { mode: 0o600 })
      },
      synced: async (handle, timeoutMs) => {
        if (relay === undefined) return
        const relayPeer = relay.peerId as PeerId
        const ok = await until(() => {
          const storageId = q.repo.getStorageIdOfPeer(relayPeer)
          const theirs = storageId === undefined ? undefined : handle.getSyncInfo(storageId)?.lastHeads
          // Both in automerge-repo's encoding of heads (handle.heads(), not Automerge's hex).
          return theirs !== undefined && sameHeads(theirs, handle.heads())
        }, timeoutMs).then(() => true, () => false)
        if (!ok) {
          throw new ProjectCliError('QUIRE_RELAY_NOT_SYNCED', `the relay did not acknowledge document ${handle.documentId} within ${timeoutMs} ms; the change is saved here and will sync next time (raise --timeout-ms, or check that the relay hosts the project)`)
        }
      },
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

/** Finds a document, here or from the relay, within the timeout; a clear error otherwise. */
export async function findDoc<T>(session: Session, id: DocumentId, timeoutMs: number, what: string): Promise<DocHandle<T>> {
  try {
    return await session.q.repo.find<T>(id, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    const where = session.relay === undefined ? 'this data directory has no copy (pass --relay to fetch it)' : 'neither this data directory nor the relay has it for this identity'
    throw new ProjectCliError('QUIRE_PROJECT_UNAVAILABLE', `cannot open the ${what} ${id}: ${where} (${(err as Error).message})`)
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

