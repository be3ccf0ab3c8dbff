import type { DocHandle, DocumentId, Repo } from '@automerge/automerge-repo'
import { readProjectLinks } from '@quire/node'
import type { HostingPolicy } from './hosting-policy.js'

/** The document ids a project document links: grants, then what `readProjectLinks` lists (files, chats). */
export function projectLinks(doc: unknown): DocumentId[] {
  const links = readProjectLinks(doc)
  return [...(links.grants === null ? [] : [links.grants]), ...links.documents]
}

/**
 * Keeps the policy's list of documents linked from allowlisted projects current: loads each project
 * document (from disk, or from peers), reads its links, and reads them again on every change. The project
 * documents stay loaded (the unloader is told they are pinned).
 */
export function watchProjects(init: { repo: Repo; policy: HostingPolicy; log: (line: string) => void }): { stop(): void; isPinned(id: string): boolean } {
  const { repo, policy } = init
  const pinned = new Set<string>(policy.projects)
  const handles: Array<{ handle: DocHandle<unknown>; listener: () => void }> = []
  let stopped = false
  const load = async (projectId: DocumentId, attempt: number): Promise<void> => {
    if (stopped) return
    const handle = await repo.find<unknown>(projectId, { allowableStates: ['ready', 'unavailable'] }).catch(() => undefined)
    if (stopped) return
    if (handle === undefined || !handle.isReady()) {
      // Not on disk and no peer has it yet: look again later (a member or federated relay may bring it).
      setTimeout(() => void load(projectId, attempt + 1), Math.min(30_000, 1000 * 2 ** attempt)).unref()
      return
    }
    const fetched = new Set<string>()
    const update = (): void => {
      const links = projectLinks(handle.doc())
      policy.setProjectLinks(projectId, links)
      // A member who offered a linked document before the relay knew the link was refused; loading it now
      // makes the repo ask that member again (it remembers who offered what).
      for (const id of links) {
        if (fetched.has(id)) continue
        fetched.add(id)
        void repo.find(id, { allowableStates: ['ready', 'unavailable'] }).catch(() => undefined)
      }
    }
    update()
    handle.on('change', update)
    handles.push({ handle, listener: update })
  }
  for (const id of policy.projects) void load(id, 0)
  return {
    stop: () => {
      stopped = true
      for (const { handle, listener } of handles) handle.off('change', listener)
    },
    isPinned: (id) => pinned.has(id),
  }
}
