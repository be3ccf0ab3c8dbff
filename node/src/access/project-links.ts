/**
 * The one answer to "which documents belong to a project" (project, grants, chat, files' documents and
 * their chats, notebooks), used by the access index, relays, compute peers and the web app alike, so a new
 * kind of linked document is added here once. The grants document is returned apart, because it decides
 * membership and is pinned on first sight (see `ProjectIndex`). Everything here reads an untrusted document
 * and never throws. Browser-safe.
 */
import { interpretAsDocumentId, isValidAutomergeUrl, type AutomergeUrl, type DocumentId } from '@automerge/automerge-repo'
import { readProject } from '@quire/crdt'

/** What a project document links, as document ids. */
export interface ProjectLinks {
  /** The owner the document names (unsigned: used only when no owner was pinned). */
  readonly owner: string | null
  readonly grants: DocumentId | null
  /** The project's chat. */
  readonly chat: DocumentId | null
  /** Text files' documents, by document id, with the URL the entry holds. */
  readonly texts: ReadonlyMap<DocumentId, AutomergeUrl>
  /** Notebook files' documents, by document id, with the URL the entry holds. */
  readonly notebooks: ReadonlyMap<DocumentId, AutomergeUrl>
  /** Files, file chats and the project chat (everything linked but the grants). */
  readonly documents: ReadonlySet<DocumentId>
}

/** Reads the links of any value; a value that is not a project document links nothing. */
export function readProjectLinks(doc: unknown): ProjectLinks {
  const read = readProject(doc)
  const texts = new Map<DocumentId, AutomergeUrl>()
  const notebooks = new Map<DocumentId, AutomergeUrl>()
  if (!read.ok) return { owner: null, grants: null, chat: null, texts, notebooks, documents: new Set() }
  const documents = new Set<DocumentId>()
  const add = (url: string | null): DocumentId | null => {
    const id = toDocumentId(url)
    if (id !== null) documents.add(id)
    return id
  }
  const chat = add(read.value.chatUrl)
  for (const file of read.value.files) {
    add(file.chatUrl)
    if (file.kind !== 'text' && file.kind !== 'notebook') continue
    const id = add(file.url)
    if (id !== null) (file.kind === 'text' ? texts : notebooks).set(id, file.url as AutomergeUrl)
  }
  return { owner: read.value.owner, grants: toDocumentId(read.value.grantsUrl), chat, texts, notebooks, documents }
}

/** Every document of the project `projectId` whose document is `doc`: itself, its grants, and what it links. */
export function projectDocumentIds(projectId: DocumentId, doc: unknown): DocumentId[] {
  const links = readProjectLinks(doc)
  return [projectId, ...(links.grants === null ? [] : [links.grants]), ...links.documents]
}

/** The document id of an Automerge URL, or null for anything else. */
export function toDocumentId(url: string | null): DocumentId | null {
  if (url === null || !isValidAutomergeUrl(url)) return null
  return interpretAsDocumentId(url as AutomergeUrl)
}
