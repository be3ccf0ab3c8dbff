/**
 * Creating a project as its owner: the project document, its grants document (about that project, owned by
 * the creating key) and its chat, linked from the project document. With an index, the project is tracked
 * before this returns, so enforcement knows every one of the three documents from the start.
 */
import type { DocHandle, DocumentId, Repo } from '@automerge/automerge-repo'
import { createChat, createGrants, createProject, setProjectLinks, type ChatDoc, type GrantsDoc, type ProjectDoc, type ProjectSettings } from '@quire/crdt'
import type { PrivateKey } from '@libp2p/interface'
import { AccessError } from './errors.js'
import { peerIdOfKey } from './keys.js'
import type { ProjectIndex } from './project-index.js'

/** What {@link createProjectWithGrants} needs. */
export interface CreateProjectWithGrantsInit {
  readonly name: string
  /** The owner's key: its peer id becomes the project's (pinned) owner. */
  readonly owner: PrivateKey
  readonly description?: string
  readonly settings?: Partial<ProjectSettings>
  readonly createdAt?: number
  /** When given, the new project is tracked (owner pinned) before this resolves. */
  readonly index?: ProjectIndex
}

/** The three documents of a new project. */
export interface CreatedProject {
  /** The project id: the project document's id. */
  readonly id: DocumentId
  readonly owner: string
  readonly project: DocHandle<ProjectDoc>
  readonly grants: DocHandle<GrantsDoc>
  readonly chat: DocHandle<ChatDoc>
}

/** Creates and links a project's documents in `repo`; see the module comment. */
export async function createProjectWithGrants(repo: Repo, init: CreateProjectWithGrantsInit): Promise<CreatedProject> {
  const owner = peerIdOfKey(init.owner)
  let initial
  try {
    initial = createProject({
      name: init.name, owner,
      ...(init.description !== undefined && { description: init.description }),
      ...(init.settings !== undefined && { settings: init.settings }),
      ...(init.createdAt !== undefined && { createdAt: init.createdAt }),
    })
  } catch (cause) {
    throw new AccessError('INVALID_ARGUMENT', `Cannot create the project: ${(cause as Error).message}`, { cause })
  }
  const project = repo.create<ProjectDoc>(initial)
  // Tracked first: the grants and chat documents are then placed in the project as soon as they are linked,
  // never served as documents of no project.
  await init.index?.track(project.documentId, { owner })
  const grants = repo.create<GrantsDoc>(createGrants({ project: project.documentId, owner }))
  const chat = repo.create<ChatDoc>(createChat())
  project.change((doc) => setProjectLinks(doc, { grantsUrl: grants.url, chatUrl: chat.url }))
  await init.index?.settled()
  return { id: project.documentId, owner, project, grants, chat }
}
