import { describe, expect, it } from 'vitest'
import { generateAutomergeUrl, interpretAsDocumentId, type AutomergeUrl, type DocumentId } from '@automerge/automerge-repo'
import * as A from '@automerge/automerge'
import { addFile, createProject, type ProjectDoc } from '@quire/crdt'
import { projectDocumentIds, readProjectLinks } from '../src/index.js'

const OWNER = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
const url = (): AutomergeUrl => generateAutomergeUrl()
const id = (u: string): DocumentId => interpretAsDocumentId(u as AutomergeUrl)

describe('readProjectLinks: the documents of a project', () => {
  it('lists grants apart, the chat, text and notebook documents by kind, and file chats', () => {
    const [grants, chat, text, notebook, fileChat] = [url(), url(), url(), url(), url()]
    let doc = createProject({ name: 'p', owner: OWNER, grantsUrl: grants, chatUrl: chat, createdAt: 1 })
    doc = A.change(doc, (d: ProjectDoc) => {
      addFile(d, { path: 'a.txt', kind: 'text', url: text, chatUrl: fileChat })
      addFile(d, { path: 'n.ipynb', kind: 'notebook', url: notebook })
      addFile(d, { path: 'img.png', kind: 'blob', sha256: 'a'.repeat(64), size: 1, mime: 'image/png' })
      addFile(d, { path: 'dir', kind: 'folder' })
    })
    const links = readProjectLinks(doc)
    expect(links.owner).toBe(OWNER)
    expect(links.grants).toBe(id(grants))
    expect(links.chat).toBe(id(chat))
    expect([...links.texts]).toEqual([[id(text), text]])
    expect([...links.notebooks]).toEqual([[id(notebook), notebook]])
    expect(new Set(links.documents)).toEqual(new Set([chat, text, notebook, fileChat].map(id)))
    const project = id(url())
    expect(projectDocumentIds(project, doc)).toEqual([project, id(grants), ...links.documents])
  })

  it('links nothing for a value that is not a project document, and never throws', () => {
    for (const junk of [null, 3, 'x', { type: 'quire/text' }, new Proxy({}, { get: () => { throw new Error('hostile') } })]) {
      const links = readProjectLinks(junk)
      expect(links.grants).toBeNull()
      expect(links.documents.size).toBe(0)
      expect(links.notebooks.size + links.texts.size).toBe(0)
    }
  })
})
