/** The projects this browser takes part in, kept in IndexedDB so they open offline and after a reload. */
import { isValidDocumentId, type DocumentId } from '@automerge/automerge-repo'
import type { JsonStore } from '../peer/json-store.js'

export interface ProjectEntry {
  readonly id: DocumentId
  /** The name when last seen (the project document is the truth; this shows the list before it loads). */
  readonly name: string
  /** The owner's peer id, pinned when this browser created the project or redeemed an invite to it. */
  readonly owner: string
  readonly addedAt: number
  /** How it got here: created here, or joined through an invite from `inviter`. */
  readonly via: 'created' | 'invite'
  readonly inviter?: string
}

export function cleanEntry(key: string, value: unknown): ProjectEntry | undefined {
  if (!isValidDocumentId(key) || typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (typeof v['owner'] !== 'string') return undefined
  const entry: ProjectEntry = {
    id: key,
    name: typeof v['name'] === 'string' ? v['name'].slice(0, 200) : 'Untitled project',
    owner: v['owner'],
    addedAt: typeof v['addedAt'] === 'number' ? v['addedAt'] : 0,
    via: v['via'] === 'invite' ? 'invite' : 'created',
    ...(typeof v['inviter'] === 'string' && { inviter: v['inviter'] }),
  }
  return entry
}

export class ProjectStore {
  readonly #store: JsonStore

  constructor(store: JsonStore) {
    this.#store = store
  }

  async list(): Promise<ProjectEntry[]> {
    const out: ProjectEntry[] = []
    for (const [key, value] of await this.#store.entries()) {
      const entry = cleanEntry(key, value)
      if (entry !== undefined) out.push(entry)
    }
    return out.sort((a, b) => b.addedAt - a.addedAt)
  }

  put(entry: ProjectEntry): Promise<void> {
    const { id, ...rest } = entry
    return this.#store.put(id, rest)
  }

  remove(id: DocumentId): Promise<void> {
    return this.#store.del(id)
  }
}
