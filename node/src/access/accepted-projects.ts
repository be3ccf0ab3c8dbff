/**
 * Projects a peer accepted over `/quire/host/1.0.0` (relays and compute peers alike), with the owner pinned
 * at acceptance: kept in a sublevel so a restart resumes them without the admin asking again.
 */
import type { DocumentId } from '@automerge/automerge-repo'
import type { LevelDatabase } from '@quire/crdt'
import { isEd25519PeerId } from './keys.js'

/** One accepted project as stored (JSON). */
export interface AcceptedProject {
  readonly owner: string
  readonly since: number
}

const JSON_VALUES = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
// classic-level honours `sync`; abstract-level's put options do not declare it. Sync because an accepted
// request is answered `ok` right after, and the admin does not ask again.
const SYNC_WRITE: { sync: boolean } = { sync: true }

/** See the module comment. */
export class AcceptedProjects {
  readonly #db: LevelDatabase
  readonly #projects = new Map<DocumentId, AcceptedProject>()

  private constructor(db: LevelDatabase) {
    this.#db = db
  }

  /** Reads the projects accepted in earlier runs from `db`'s sublevel `name`. */
  static async open(db: LevelDatabase, name: string): Promise<AcceptedProjects> {
    const accepted = new AcceptedProjects(db.sublevel(name, JSON_VALUES))
    for await (const [key, value] of accepted.#db.iterator(JSON_VALUES)) {
      try {
        const stored = JSON.parse(value as string) as AcceptedProject
        if (isEd25519PeerId(stored.owner)) accepted.#projects.set(key as DocumentId, stored)
      } catch {
        // A damaged entry forgets that project; an admin can ask again.
      }
    }
    return accepted
  }

  has(project: DocumentId): boolean {
    return this.#projects.has(project)
  }

  get(project: DocumentId): AcceptedProject | undefined {
    return this.#projects.get(project)
  }

  /** Accepted projects in insertion order. */
  entries(): IterableIterator<[DocumentId, AcceptedProject]> {
    return this.#projects.entries()
  }

  keys(): IterableIterator<DocumentId> {
    return this.#projects.keys()
  }

  /** Remembers a project (durably) unless it is known already; keeps the first owner and date. */
  async add(project: DocumentId, owner: string): Promise<void> {
    if (this.#projects.has(project)) return
    const stored: AcceptedProject = { owner, since: Date.now() }
    await this.#db.put(project, JSON.stringify(stored), { ...JSON_VALUES, ...SYNC_WRITE })
    this.#projects.set(project, stored)
  }
}
