/** The project list page's state: the projects this browser holds; create, join, leave. */
import { isValidDocumentId, type DocHandle, type DocumentId } from '@automerge/automerge-repo'
import { appendGrantEntries, type GrantsDoc } from '@quire/crdt'
import { createProjectWithGrants, readProjectLinks, signGrant } from '@quire/node'
import { JsonStore } from '../peer/json-store.js'
import type { Session } from '../peer/session.svelte.js'
import { ProjectStore, type ProjectEntry } from './project-store.js'
import { applyTemplate, projectTemplate, type ProjectTemplateId } from './project-templates.js'

export class ProjectList {
  entries = $state.raw<ProjectEntry[]>([])
  loaded = $state(false)
  readonly #session: Session
  readonly #store: ProjectStore
  /** Projects left, by id, with the documents still to delete at the next start. */
  readonly #forgotten: JsonStore

  constructor(session: Session) {
    this.#session = session
    this.#store = new ProjectStore(session.appStore)
    this.#forgotten = new JsonStore(session.db, 'forgotten-projects')
  }

  /** Called with each project created here (the app asks relays to host it). */
  onCreated: ((id: DocumentId) => unknown) | undefined

  /** Reads the list and starts enforcing access for every project in it. */
  async load(): Promise<void> {
    await this.#purgeForgotten()
    const entries = await this.#store.list()
    await Promise.all(entries.map((e) => this.#session.track(e.id, { owner: e.owner, ...(e.inviter !== undefined && { provisionalReaders: [e.inviter] }) })))
    this.entries = entries
    this.loaded = true
  }

  get(id: string): ProjectEntry | undefined {
    return this.entries.find((e) => e.id === id)
  }

  /**
   * Creates a project owned by this browser's key, and grants the roles the serving relay asks for in
   * `/quire.json` (`autoGrant`: itself as `relay`, so it keeps a replica; a compute peer as `compute`, which
   * also becomes the project's assigned compute peer). A template's files are written in before it returns;
   * `opened` is the file the template says to open first.
   */
  async create(name: string, template: ProjectTemplateId = 'empty', opened?: (fileId: string) => void): Promise<DocumentId> {
    const s = this.#session
    const compute = s.bootstrap.autoGrant.find((g) => g.role === 'compute')?.peerId ?? null
    const pinnedRelays = s.bootstrap.autoGrant.filter((g) => g.role === 'relay').map((g) => g.peerId)
    const created = await createProjectWithGrants(s.repo, {
      name: name.trim() || 'Untitled project', owner: s.key, index: s.index, settings: { computePeer: compute, pinnedRelays },
    })
    await s.track(created.id, { owner: created.owner })
    const grants = await Promise.all(s.bootstrap.autoGrant.map((g) => signGrant(s.key, { project: created.id, subject: g.peerId, role: g.role })))
    if (grants.length > 0) created.grants.change((doc: GrantsDoc) => { appendGrantEntries(doc, grants.map((g) => ({ payload: g.payload, signature: g.signature }))) })
    const first = await applyTemplate({ repo: s.repo, project: created.project as DocHandle<unknown>, blobs: s.blobs, self: { peerId: s.peerId } }, projectTemplate(template))
    if (first !== undefined) opened?.(first)
    await this.add({ id: created.id, name: name.trim() || 'Untitled project', owner: created.owner, addedAt: Date.now(), via: 'created' })
    void this.onCreated?.(created.id)
    return created.id
  }

  /** Records a project (created here or joined) in the list. */
  async add(entry: ProjectEntry): Promise<void> {
    await this.#store.put(entry)
    this.entries = [entry, ...this.entries.filter((e) => e.id !== entry.id)]
  }

  /** Keeps the stored name in step with the project document, so the list shows it before loading. */
  async rename(id: DocumentId, name: string): Promise<void> {
    const entry = this.get(id)
    if (entry === undefined || entry.name === name) return
    await this.add({ ...entry, name })
  }

  /**
   * Forgets a project in this browser: removes it from the list now, and deletes its documents from
   * IndexedDB when the app next starts, before anything loads them. Deleting them from a running repo is
   * racy: automerge-repo saves an emptied document on a throttle after `delete` or `unload`, and members
   * still connected would send it back. Other members keep theirs; joining again needs a new invite.
   */
  async leave(id: DocumentId): Promise<void> {
    const handle = this.#session.repo.handles[id]
    const links = handle?.isReady() ? readProjectLinks(handle.doc()) : undefined
    const grants = this.#session.index.grantsOf(id) ?? links?.grants
    await this.#forgotten.put(id, [id, ...(grants ? [grants] : []), ...(links?.documents ?? [])])
    await this.#store.remove(id)
    this.entries = this.entries.filter((e) => e.id !== id)
  }

  /** Deletes the documents of projects left in an earlier run; called before any project is tracked. */
  async #purgeForgotten(): Promise<void> {
    const storage = this.#session.repo.storageSubsystem
    for (const [id, docs] of await this.#forgotten.entries()) {
      if ((await this.#store.list()).some((e) => e.id === id)) {
        await this.#forgotten.del(id) // joined again since
        continue
      }
      for (const doc of Array.isArray(docs) ? docs : []) {
        if (typeof doc === 'string' && isValidDocumentId(doc)) await storage?.removeDoc(doc)
      }
      await this.#forgotten.del(id)
    }
  }
}
