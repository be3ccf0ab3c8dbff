import { afterAll, afterEach } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { DocHandle } from '@automerge/automerge-repo'
import { addFile, appendGrantEntries, createText, type TextDoc } from '@quire/crdt'
import {
  ProjectIndex, accessShareConfig, accessWriteFilter, createProjectWithGrants, createQuireNode, createQuireRepo, signGrant,
  type CreatedProject, type QuireNode, type QuireRepo, type Role,
} from '@quire/node'
import { stopAllProcesses, waitUntil } from '@quire/node/testing'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import { get, metricValue, tempDir } from './helpers.js'

/** An in-process member with read and write enforcement, like a browser. */
export interface Member {
  key: PrivateKey
  id: string
  node: QuireNode
  q: QuireRepo
  index: ProjectIndex
}

/**
 * Per-file fixtures of the grants hosting tests: members in process, relay processes in temp data dirs
 * (restartable on the same dir), everything stopped after each test.
 */
export function grantsFixtures(prefix: string): {
  /** Run after each test, in reverse. */
  cleanups: Array<() => Promise<void>>
  member: (key?: PrivateKey) => Promise<Member>
  dial: (m: Member, relay: RelayProcess) => Promise<void>
  relayProcess: (extra?: string[], dir?: string) => Promise<{ relay: RelayProcess; dir: string }>
  grant: (owner: Member, p: CreatedProject, subject: string, role: Role) => Promise<string>
  ownerWithProject: (owner?: Member) => Promise<{ owner: Member; p: CreatedProject; file: DocHandle<TextDoc> }>
  metric: (relay: RelayProcess, sample: string) => Promise<number>
} {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  afterAll(() => stopAllProcesses())

  const member = async (key?: PrivateKey): Promise<Member> => {
    const privateKey = key ?? await generateKeyPair('Ed25519')
    const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey })
    const index = new ProjectIndex()
    const q = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }), wrapNetwork: [accessWriteFilter({ index })] })
    await index.attach(q.repo)
    cleanups.push(async () => {
      index.stop()
      await q.stop()
      await new Promise((r) => setTimeout(r, 200))
      await node.stop()
    })
    return { key: privateKey, id: node.peerId.toString(), node, q, index }
  }
  const grant = async (owner: Member, p: CreatedProject, subject: string, role: Role): Promise<string> => {
    const g = await signGrant(owner.key, { project: p.id, subject, role })
    p.grants.change((d) => { appendGrantEntries(d, [g]) })
    await owner.index.settled()
    return g.id
  }
  return {
    cleanups,
    member,
    grant,
    async dial(m, relay) {
      await m.node.dial(multiaddr(relay.tcpAddress))
      await waitUntil(() => m.q.repo.peers.includes(relay.info.peerId as never), 15_000, 'a sync stream to the relay')
    },
    async relayProcess(extra = [], existing) {
      let dir = existing
      if (dir === undefined) {
        const made = await tempDir(prefix)
        cleanups.push(made.remove)
        dir = made.dir
      }
      const relay = await startRelayProcess(['--data-dir', dir, ...extra])
      cleanups.push(async () => { await relay.proc.stop() })
      return { relay, dir }
    },
    async ownerWithProject(existing) {
      const owner = existing ?? await member()
      const p = await createProjectWithGrants(owner.q.repo, { name: 'Thesis', owner: owner.key, index: owner.index })
      const file = owner.q.repo.create<TextDoc>(createText('chapter one'))
      p.project.change((d) => { addFile(d, { path: 'thesis.tex', kind: 'text', url: file.url }) })
      await owner.index.settled()
      return { owner, p, file }
    },
    async metric(relay, sample) {
      return metricValue((await get(`${relay.httpUrl}/metrics`)).body, sample) ?? 0
    },
  }
}
