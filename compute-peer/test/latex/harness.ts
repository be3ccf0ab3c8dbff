/**
 * A project member in the test process and a real compute daemon (child process, real latexmk in the
 * sandbox) serving its project: the member adds `.tex` files, asks for builds and fetches the blobs.
 */
// @quire/node first: it loads the polyfills libp2p needs on Node 20.
import {
  BlobService,
  BlobStore,
  ProjectIndex,
  accessShareConfig,
  createProjectWithGrants,
  createQuireNode,
  createQuireRepo,
  loadOrCreateIdentity,
  peerIdOfKey,
  signGrant,
  type CreatedProject,
} from '@quire/node'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import * as A from '@automerge/automerge'
import type { DocHandle, Repo } from '@automerge/automerge-repo'
import { addFile, appendGrantEntries, createText, readLatex, requestBuild, type LatexBuild, type LatexEngine, type TextDoc } from '@quire/crdt'
import type { PeerProcess } from '@quire/node/testing'
import { startComputeProcess, type ComputeProcessInfo } from '../../src/testing/index.js'

export interface LatexWorld {
  readonly member: Member
  readonly compute: { proc: PeerProcess; info: ComputeProcessInfo & { latex?: { available: boolean; engines: string[]; biber: boolean } } }
  readonly dataDir: string
  /** The project's workspace directory on the host. */
  readonly workdir: string
  stop(): Promise<void>
}

export class Member {
  readonly id: string
  readonly repo: Repo
  readonly project: CreatedProject
  readonly #blobs: BlobService
  readonly #key: Parameters<typeof signGrant>[0]
  readonly #index: ProjectIndex
  readonly #stop: () => Promise<void>
  readonly dial: (address: string) => Promise<unknown>
  computeId = ''

  constructor(init: { id: string; repo: Repo; project: CreatedProject; blobs: BlobService; key: Parameters<typeof signGrant>[0]; index: ProjectIndex; stop: () => Promise<void>; dial: (address: string) => Promise<unknown> }) {
    this.dial = init.dial
    this.id = init.id
    this.repo = init.repo
    this.project = init.project
    this.#blobs = init.blobs
    this.#key = init.key
    this.#index = init.index
    this.#stop = init.stop
  }

  async grant(subject: string, role: 'compute' | 'reader' | 'writer'): Promise<void> {
    const grant = await signGrant(this.#key, { project: this.project.id, subject, role })
    this.project.grants.change((d) => { appendGrantEntries(d, [grant]) })
    await this.#index.settled()
  }

  /** Adds a text file (a `.tex`, `.bib`, ...) and returns its document. */
  addText(path: string, content: string): DocHandle<TextDoc> {
    const text = this.repo.create<TextDoc>(createText(content))
    this.project.project.change((d) => { addFile(d, { path, kind: 'text', url: text.url }) })
    return text
  }

  /** Asks for a build of the document as it is now, as `by` (default: this member); returns the request id. */
  request(handle: DocHandle<TextDoc>, options: { by?: string; engine?: LatexEngine } = {}): string {
    const heads = A.getHeads(handle.doc())
    let id = ''
    handle.change((d) => { id = requestBuild(d, { by: options.by ?? this.id, heads, ...(options.engine !== undefined && { engine: options.engine }) }) })
    return id
  }

  /** Waits for the outcome of request `id`. */
  async outcome(handle: DocHandle<TextDoc>, id: string, timeoutMs = 120_000): Promise<LatexBuild> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const { build } = readLatex(handle.doc())
      if (build?.id === id) return build
      if (Date.now() > deadline) throw new Error(`no outcome for build request ${id}; the document's latex map: ${JSON.stringify(readLatex(handle.doc())).slice(0, 800)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Fetches a blob from the compute peer over /quire/blob (as the web app does). */
  fetchBlob(hash: string): Promise<Uint8Array> {
    return this.#blobs.fetch(peerIdFromString(this.computeId), hash)
  }

  stop(): Promise<void> {
    return this.#stop()
  }
}

async function startMember(): Promise<Member> {
  const keyDir = await mkdtemp(join(tmpdir(), 'quire-latex-member-'))
  const key = await loadOrCreateIdentity(keyDir)
  await rm(keyDir, { recursive: true, force: true })
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key })
  const index = new ProjectIndex()
  const q = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }) })
  await index.attach(q.repo)
  const blobs = new BlobService({ libp2p: node, store: new BlobStore(new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })), authorize: () => false })
  await blobs.start()
  const project = await createProjectWithGrants(q.repo, { name: 'Paper', owner: key, index })
  const member = new Member({
    id: peerIdOfKey(key), repo: q.repo, project, blobs, key, index,
    stop: async () => {
      await blobs.stop()
      index.stop()
      await q.stop()
      await node.stop()
    },
    dial: (address) => node.dial(multiaddr(address)),
  })
  return member
}

/** A member with a compute daemon serving its project; `env` configures the daemon (QUIRE_COMPUTE_*). */
export async function startLatexWorld(env: Record<string, string> = {}): Promise<LatexWorld> {
  const member = await startMember()
  const dataDir = await mkdtemp(join(tmpdir(), 'quire-latex-'))
  const compute = await startComputeProcess(['--data-dir', dataDir, '--project', `${member.project.id}@${member.id}`], { env })
  member.computeId = compute.info.peerId
  await member.grant(compute.info.peerId, 'compute')
  await member.dial(compute.info.addresses[0]!)
  return {
    member, compute: compute as LatexWorld['compute'], dataDir,
    workdir: join(dataDir, 'projects', member.project.id),
    async stop() {
      await compute.proc.stop().catch(() => undefined)
      await member.stop().catch(() => undefined)
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** A fresh peer id that is nobody in the project (or becomes a reader with `grant`). */
export async function newPeerId(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-latex-peer-'))
  const key = await loadOrCreateIdentity(dir)
  await rm(dir, { recursive: true, force: true })
  return peerIdOfKey(key)
}

/** A small article; `body` goes between \begin{document} and \end{document}. */
export function article(body: string, preamble = ''): string {
  return `\\documentclass{article}\n${preamble}\\begin{document}\n${body}\n\\end{document}\n`
}

/** Whether the bytes start with `%PDF`. */
export function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 4)).toString('latin1') === '%PDF'
}
