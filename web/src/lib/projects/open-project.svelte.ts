/**
 * One open project: its documents (project, grants, chat), the file list, membership and this browser's
 * roles, presence, sync status, and the direct connections to its members. Created by the project page,
 * closed when it leaves.
 */
import type { AnyDocumentId, DocHandle, DocumentId, Repo } from '@automerge/automerge-repo'
import { appendGrantEntries, readProject, type ChatDoc, type FileEntry, type GrantsDoc, type ProjectDoc, type ProjectRead } from '@quire/crdt'
import { canAdmin, canWrite, readProjectLinks, readWorkspaceStatus, revokeMember, type Membership, type Role, type WorkspaceStatusMessage } from '@quire/node'
import { ProjectPresence } from '../presence/index.js'
import type { PeerConnector } from '../connection/peer-connector.js'
import { syncStatus, type SyncStatus } from '../connection/sync-state.js'
import type { Session } from '../peer/session.svelte.js'
import { describeError } from '../peer/errors.js'

export type ProjectPhase = 'loading' | 'ready' | 'unavailable'

const FIND_STATES = ['ready', 'requesting', 'unavailable'] as Array<'ready' | 'requesting' | 'unavailable'>

export class OpenProject {
  phase = $state<ProjectPhase>('loading')
  project = $state.raw<ProjectRead | undefined>(undefined)
  problem = $state<string | undefined>(undefined)
  membership = $state.raw<Membership | undefined>(undefined)
  chat = $state.raw<DocHandle<ChatDoc> | undefined>(undefined)
  sync = $state.raw<SyncStatus>({ state: 'offline' })
  /** The compute peer's workspace status (W40), with when it arrived (local clock); undefined until one comes. */
  workspace = $state.raw<{ status: WorkspaceStatusMessage; receivedAt: number } | undefined>(undefined)
  readonly id: DocumentId
  /** Presence in this project, once its document is found. */
  presence = $state.raw<ProjectPresence | undefined>(undefined)
  handle: DocHandle<ProjectDoc> | undefined
  readonly #session: Session
  readonly #connector: PeerConnector
  readonly #cleanup: Array<() => void> = []
  #wanted: string[] = []
  #closed = false

  constructor(session: Session, connector: PeerConnector, id: DocumentId) {
    this.#session = session
    this.#connector = connector
    this.id = id
  }

  get repo(): Repo { return this.#session.repo }

  /** Who we are, for presence and the editor. */
  get self(): { peerId: string; name: string; color: string } {
    return { peerId: this.#session.peerId, name: this.#session.profile.name, color: this.#session.profile.color }
  }

  /** This browser's roles in the project (empty until membership is known). */
  get myRoles(): readonly Role[] {
    return this.membership?.members.get(this.#session.peerId)?.roles ?? []
  }

  get canWrite(): boolean {
    return this.membership !== undefined && canWrite(this.membership, this.#session.peerId)
  }

  get canAdmin(): boolean {
    return this.membership !== undefined && canAdmin(this.membership, this.#session.peerId)
  }

  /** Files in display order. */
  get files(): readonly FileEntry[] {
    return this.project?.files ?? []
  }

  file(fileId: string): FileEntry | undefined {
    return this.files.find((f) => f.id === fileId)
  }

  /** The handle of a text or notebook file's document. */
  async fileHandle<T>(fileId: string): Promise<DocHandle<T> | undefined> {
    const entry = this.file(fileId)
    if (entry === undefined || !('url' in entry) || typeof entry.url !== 'string') return undefined
    return this.repo.find<T>(entry.url as AnyDocumentId, { allowableStates: FIND_STATES })
  }

  /**
   * Removes a member (admins only): signs a revocation of each of its grants into the grants document. Its
   * devices stop receiving the project's documents from every member that has seen the revocation.
   */
  async removeMember(peerId: string): Promise<void> {
    const membership = this.membership
    const grantsId = this.#session.index.grantsOf(this.id)
    if (membership === undefined || grantsId === undefined) throw new Error('The grants are not loaded yet: wait a moment and try again.')
    const revocations = await revokeMember(this.#session.key, membership, peerId)
    if (revocations.length === 0) return
    const grants = await this.repo.find<GrantsDoc>(grantsId)
    grants.change((doc) => { appendGrantEntries(doc, revocations.map((r) => ({ payload: r.payload, signature: r.signature }))) })
    this.#tick()
  }

  async open(): Promise<void> {
    try {
      const handle = await this.repo.find<ProjectDoc>(this.id, { allowableStates: FIND_STATES })
      if (this.#closed) return
      this.handle = handle
      // Presence rides on the project document's ephemeral messages: every member has it open.
      const presence = new ProjectPresence(handle, this.self)
      this.presence = presence
      presence.start()
      const onChange = (): void => this.#read()
      handle.on('change', onChange)
      const onEphemeral = ({ senderId, message }: { senderId: string; message: unknown }): void => this.#onWorkspaceStatus(senderId, message)
      handle.on('ephemeral-message', onEphemeral)
      this.#cleanup.push(() => handle.off('change', onChange), () => handle.off('ephemeral-message', onEphemeral), () => presence.stop())
      if (!handle.isReady()) void handle.whenReady(['ready']).then(onChange, () => undefined)
      this.#read()
      const timer = setInterval(() => this.#tick(), 1_000)
      this.#cleanup.push(() => clearInterval(timer))
      this.#tick()
    } catch (err) {
      this.problem = describeError(err)
      this.phase = 'unavailable'
    }
  }

  close(): void {
    this.#closed = true
    for (const c of this.#cleanup.splice(0)) c()
    this.#connector.unwant(this.#wanted)
    this.#wanted = []
  }

  #read(): void {
    const handle = this.handle
    if (handle === undefined || !handle.isReady()) return
    const read = readProject(handle.doc())
    if (!read.ok) {
      this.problem = `This project's document is unreadable (${read.error.message}).`
      this.phase = 'unavailable'
      return
    }
    const renamed = this.project?.name !== read.value.name
    this.project = read.value
    if (renamed) this.onName?.(read.value.name)
    this.phase = 'ready'
    this.problem = undefined
    if (read.value.chatUrl !== null && this.chat?.url !== read.value.chatUrl) {
      void this.repo.find<ChatDoc>(read.value.chatUrl as AnyDocumentId, { allowableStates: FIND_STATES }).then((h) => { if (!this.#closed) this.chat = h })
    }
  }

  /** Whether `peerId` holds the compute role in this project (its files' `createdBy` marks compute output). */
  isCompute(peerId: string): boolean {
    return this.membership?.members.get(peerId)?.roles.includes('compute') ?? false
  }

  // Anyone may send an ephemeral message: only the compute peer's word on the workspace counts.
  #onWorkspaceStatus(senderId: string, message: unknown): void {
    const status = readWorkspaceStatus(message)
    if (status === undefined || !this.isCompute(senderId)) return
    this.workspace = { status, receivedAt: Date.now() }
  }

  /** Once a second: membership (grants may change or expire), wanted peers, sync status. */
  #tick(): void {
    if (this.#closed) return
    try {
      this.#refresh()
    } catch (err) {
      // One bad read (a document in an odd state) must not freeze the status for good: say it, try again.
      console.error('[quire] could not refresh the project state:', err)
    }
  }

  #refresh(): void {
    const membership = this.#session.index.membership(this.id, Date.now())
    void membership?.then((m) => {
      if (this.#closed) return
      if (this.membership === undefined || this.membership.accepted.join() !== m.accepted.join() || this.membership.owner !== m.owner) this.membership = m
      this.#want([...m.members.keys()])
    }, () => undefined)
    const handle = this.handle
    if (handle?.isReady() !== true && handle?.state === 'unavailable' && this.phase === 'loading') {
      this.phase = 'unavailable'
      this.problem = 'This project is not in this browser yet and no member who has it is online. It opens as soon as one is.'
    }
    this.sync = syncStatus(this.repo, this.#documents(), this.#session.online ? this.repo.peers : [])
  }

  /** Called with the project's name when known (the list keeps it for offline display). */
  onName: ((name: string) => void) | undefined

  #documents(): DocumentId[] {
    // The pinned grants document, not the one the project document names now (see ProjectIndex).
    const grants = this.#session.index.grantsOf(this.id)
    const links = this.handle?.isReady() === true ? readProjectLinks(this.handle.doc()) : undefined
    return [this.id, ...(grants ? [grants] : []), ...(links?.documents ?? [])]
  }

  #want(peers: string[]): void {
    const next = peers.filter((p) => p !== this.#session.peerId).sort()
    if (next.join() === this.#wanted.join()) return
    this.#connector.unwant(this.#wanted)
    this.#connector.want(next)
    this.#wanted = next
  }
}
