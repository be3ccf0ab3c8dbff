import type { DocumentId } from '@automerge/automerge-repo'
import type { ProjectIndex } from '@quire/node'

/**
 * What a workspace runner's repo may sync with the compute peer's (W31): the documents of its own project
 * only (not the grants: it never needs them), and not a document another project links too. Returns
 * undefined for a peer that is not a runner, so the caller's member rules decide.
 */
export function runnerAccess(index: Pick<ProjectIndex, 'grantsOf' | 'projectsOf'>, runners: ReadonlyMap<string, DocumentId>) {
  return (peer: string, documentId: DocumentId): boolean | undefined => {
    const project = runners.get(peer)
    if (project === undefined) return undefined
    if (documentId === index.grantsOf(project)) return false
    const projects = index.projectsOf(documentId)
    return projects.length > 0 && projects.every((p) => p === project)
  }
}
