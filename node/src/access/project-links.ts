/**
 * The documents a project document links: its text and notebook files, their chats, and the project's chat.
 * The grants document is returned apart, because it decides membership and is pinned on first sight
 * (see `ProjectIndex`). Everything here reads an untrusted document and never throws.
 */
import { interpretAsDocumentId, isValidAutomergeUrl, type AutomergeUrl, type DocumentId } from '@automerge/automerge-repo'
import { readProject } from '@quire/crdt'

/** What a project document links, as document ids. */
export interface ProjectLinks {
  /** The owner the document names (unsigned: used only when no owner was pinned). */
  readonly owner: string | null
  readonly grants: DocumentId | null
  /** Files, file chats and the project chat. */
  readonly documents: ReadonlySet<DocumentId>
}

/** Reads the links of any value; a value that is not a project document links nothing. */
export function readProjectLinks(doc: unknown): ProjectLinks {
  const read = readProject(doc)
  if (!read.ok) return { owner: null, grants: null, documents: new Set() }
  const documents = new Set<DocumentId>()
  const add = (url: string | null): void => {
    const id = toDocumentId(url)
    if (id !== null) documents.add(id)
  }
  add(read.value.chatUrl)
  for (const file of read.value.files) {
    add(file.chatUrl)
    if (file.kind === 'text' || file.kind === 'notebook') add(file.url)
  }
  return { owner: read.value.owner, grants: toDocumentId(read.value.grantsUrl), documents }
}

/** The document id of an Automerge URL, or null for anything else. */
export function toDocumentId(url: string | null): DocumentId | null {
  if (url === null || !isValidAutomergeUrl(url)) return null
  return interpretAsDocumentId(url as AutomergeUrl)
}
