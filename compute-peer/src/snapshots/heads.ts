/**
 * The heads of every document of a project (N10), as the one resolver in @quire/node names them (project,
 * grants, chat, files' documents, notebooks): recorded with each snapshot, so the file versions and the
 * document versions of one moment are restored together. A document this peer does not have is left out.
 */
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import { projectDocumentIds } from '@quire/node'

const STATES = ['ready', 'unavailable', 'requesting'] as const

export async function projectHeads(repo: Repo, project: DocumentId): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  const root = await repo.find<unknown>(project, { allowableStates: [...STATES] }).catch(() => undefined)
  if (root === undefined || !root.isReady()) return out
  for (const id of projectDocumentIds(project, root.doc())) {
    const handle = id === project ? root : await repo.find<unknown>(id, { allowableStates: [...STATES] }).catch(() => undefined)
    if (handle?.isReady() === true) out[id] = [...handle.heads()].sort()
  }
  return out
}

/** Whether two records of heads name the same versions of the same documents. */
export function sameHeads(a: Readonly<Record<string, readonly string[]>> | undefined, b: Readonly<Record<string, readonly string[]>>): boolean {
  if (a === undefined) return false
  const keys = Object.keys(b)
  if (Object.keys(a).length !== keys.length) return false
  return keys.every((k) => a[k] !== undefined && a[k]!.length === b[k]!.length && a[k]!.every((h, i) => h === b[k]![i]))
}
