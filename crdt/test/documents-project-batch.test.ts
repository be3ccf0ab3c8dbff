import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { generateAutomergeUrl } from '@automerge/automerge-repo'
import { CrdtError, addFile, addFiles, createProject, readProject, type NewFile, type ProjectDoc } from '../src/index.js'

const OWNER = '12D3KooWOwnerOwnerOwnerOwnerOwner'

describe('project: addFiles', () => {
  it('adds many files in one change and refuses, per file, what addFile refuses (same path, under a file, a file over a folder)', () => {
    let doc = A.change(createProject({ name: 'p', owner: OWNER, createdAt: 1 }), (d) => { addFile(d, { path: 'a.txt', kind: 'text', url: generateAutomergeUrl() }) })
    const text = (path: string): NewFile => ({ path, kind: 'text', url: generateAutomergeUrl() })
    let out: Array<string | CrdtError> = []
    doc = A.change(doc, (d: ProjectDoc) => {
      out = addFiles(d, [text('b.txt'), text('a.txt'), text('a.txt/x'), text('dir/c.txt'), text('dir'), text('b.txt'), { path: 'dir', kind: 'folder' }])
    })
    expect(out.map((r) => (typeof r === 'string' ? 'ok' : r.code))).toEqual(['ok', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'ok', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'ok'])
    const read = readProject(doc)
    expect(read.ok && read.value.files.map((f) => f.path).sort()).toEqual(['a.txt', 'b.txt', 'dir', 'dir/c.txt'])
    expect(A.getAllChanges(doc).length).toBe(3)
  })
})
