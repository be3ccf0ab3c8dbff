import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { generateAutomergeUrl } from '@automerge/automerge-repo'
import {
  addFile,
  createProject,
  deleteFile,
  deletePath,
  listTree,
  readProject,
  renameFile,
  renamePath,
  setBlob,
  setDescription,
  setFileChat,
  setProjectLinks,
  setProjectName,
  setSettings,
  type FolderNode,
  type ProjectDoc,
  type ProjectRead,
  type TreeNode,
} from '../src/index.js'
import { codeOf } from './helpers/error-code.js'

const OWNER = '12D3KooWOwnerOwnerOwnerOwnerOwner'
const SHA = 'ab'.repeat(32)

function read(doc: unknown): ProjectRead {
  const result = readProject(doc)
  if (!result.ok) throw result.error
  return result.value
}


function project(): A.Doc<ProjectDoc> {
  return createProject({ name: 'Paper', owner: OWNER, createdAt: 1000 })
}

/** A project with src/main.py, src/lib/util.py, README.md and an empty folder docs. */
function sample(): A.Doc<ProjectDoc> {
  return A.change(project(), (d) => {
    addFile(d, { id: 'main', path: 'src/main.py', kind: 'text', url: generateAutomergeUrl(), createdAt: 1 })
    addFile(d, { id: 'util', path: 'src/lib/util.py', kind: 'text', url: generateAutomergeUrl(), createdAt: 2 })
    addFile(d, { id: 'readme', path: 'README.md', kind: 'text', url: generateAutomergeUrl(), createdAt: 3 })
    addFile(d, { id: 'docs', path: 'docs', kind: 'folder', createdAt: 4 })
  })
}

/** A successful change on a copy, so the same base can be changed again. */
function edit(doc: A.Doc<ProjectDoc>, fn: (d: ProjectDoc) => void): A.Doc<ProjectDoc> {
  return A.change(A.clone(doc), fn)
}

function paths(doc: unknown): string[] {
  return read(doc).files.map((f) => f.path)
}

function mergeBoth<T>(a: A.Doc<T>, b: A.Doc<T>): [A.Doc<T>, A.Doc<T>] {
  return [A.merge(A.clone(a), b), A.merge(A.clone(b), a)]
}

function shape(node: TreeNode): unknown {
  return node.type === 'file' ? node.name : { [node.name]: node.children.map(shape) }
}

describe('project documents', () => {
  it('[D1][P1] createProject stores the header, name, owner, time, no files, safe default settings', () => {
    const doc = createProject({ name: 'Paper', owner: OWNER, createdAt: 1000, description: 'A draft' })
    expect(doc.type).toBe('quire/project')
    expect(doc.schemaVersion).toBe(1)
    const result = readProject(doc)
    expect(result.ok && result.problems).toEqual([])
    expect(read(doc)).toEqual({
      schemaVersion: 1,
      name: 'Paper',
      description: 'A draft',
      createdAt: 1000,
      owner: OWNER,
      files: [],
      brokenFiles: [],
      settings: { computePeer: null, pinnedRelays: [], networkAccess: false },
      grantsUrl: null,
      chatUrl: null,
    })
  })

  it('[P1] createProject refuses a blank name, a bad owner, bad links: INVALID_ARGUMENT', () => {
    expect(codeOf(() => createProject({ name: '  ', owner: OWNER }))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => createProject({ name: 'x', owner: 'has space' }))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => createProject({ name: 'x', owner: OWNER, chatUrl: 'http://x' }))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => createProject({ name: 'x', owner: OWNER, createdAt: -1 }))).toBe('INVALID_ARGUMENT')
  })

  it('[P2][D7] addFile stores text, notebook, blob and folder entries that survive save/load', () => {
    const textUrl = generateAutomergeUrl()
    const nbUrl = generateAutomergeUrl()
    let doc = project()
    let ids: string[] = []
    doc = A.change(doc, (d) => {
      ids = [
        addFile(d, { path: 'a.tex', kind: 'text', url: textUrl, createdAt: 5, createdBy: OWNER }),
        addFile(d, { path: 'b.ipynb', kind: 'notebook', url: nbUrl, createdAt: 6 }),
        addFile(d, { path: 'img/c.png', kind: 'blob', sha256: SHA, size: 10, mime: 'image/png', createdAt: 7 }),
        addFile(d, { path: 'img', kind: 'folder', createdAt: 8 }),
      ]
    })
    expect(new Set(ids).size).toBe(4)
    const files = read(A.load<ProjectDoc>(A.save(doc))).files
    expect(files.map((f) => [f.path, f.kind, f.displayPath, f.conflict])).toEqual([
      ['a.tex', 'text', 'a.tex', false],
      ['b.ipynb', 'notebook', 'b.ipynb', false],
      ['img', 'folder', 'img', false],
      ['img/c.png', 'blob', 'img/c.png', false],
    ])
    expect(files[0]).toMatchObject({ id: ids[0], url: textUrl, createdAt: 5, createdBy: OWNER, chatUrl: null })
    expect(files[3]).toMatchObject({ sha256: SHA, size: 10, mime: 'image/png' })
  })

  it('[P4] addFile refuses taken paths, paths under a file, bad urls and blobs, reused ids', () => {
    const doc = sample()
    const url = generateAutomergeUrl()
    const attempts: Array<(d: ProjectDoc) => unknown> = [
      (d) => addFile(d, { path: 'README.md', kind: 'text', url }),
      (d) => addFile(d, { path: 'README.md/x', kind: 'text', url }),
      (d) => addFile(d, { path: 'src', kind: 'text', url }),
      (d) => addFile(d, { path: 'docs', kind: 'folder' }),
      (d) => addFile(d, { path: 'n.txt', kind: 'text', url: 'automerge:nope' }),
      (d) => addFile(d, { path: 'n.bin', kind: 'blob', sha256: 'AB'.repeat(32), size: 1, mime: 'x/y' }),
      (d) => addFile(d, { path: 'n.bin', kind: 'blob', sha256: SHA, size: -1, mime: 'x/y' }),
      (d) => addFile(d, { path: 'n.bin', kind: 'blob', sha256: SHA, size: 1, mime: 'nomime' }),
      (d) => addFile(d, { id: 'main', path: 'other.py', kind: 'text', url }),
      (d) => addFile(d, { id: 'has/slash', path: 'other.py', kind: 'text', url }),
      (d) => addFile(d, { path: 'x', kind: 'weird' as 'folder' }),
    ]
    for (const attempt of attempts) expect(codeOf(() => A.change(doc, attempt))).toBe('INVALID_ARGUMENT')
    // A folder may be made explicit where files already imply it.
    const ok = A.change(doc, (d) => addFile(d, { path: 'src', kind: 'folder' }))
    expect(read(ok).files.filter((f) => f.kind === 'folder').map((f) => f.path)).toEqual(['docs', 'src'])
  })

  it('[P3] path validation table', () => {
    const url = generateAutomergeUrl()
    const table: Array<[string, boolean]> = [
      ['a.txt', true],
      ['dir/sub/file.tex', true],
      ['with space/ünïcödé 😀.md', true],
      ['.hidden', true],
      ['a..b', true],
      [[...Array(20).fill('x'.repeat(200)), 'x'.repeat(76)].join('/'), true],
      [[...Array(20).fill('x'.repeat(200)), 'x'.repeat(77)].join('/'), false],
      ['x'.repeat(255), true],
      ['x'.repeat(256), false],
      [`dir/${'é'.repeat(126)}.t`, true],
      ['😀'.repeat(63), true],
      ['😀'.repeat(64), false],
      [`dir/${'é'.repeat(128)}`, false],
      ['', false],
      ['/abs', false],
      ['trailing/', false],
      ['a//b', false],
      ['..', false],
      ['a/../b', false],
      ['./a', false],
      ['a/.', false],
      ['back\\slash', false],
      ['nul\u0000byte', false],
      ['new\nline', false],
    ]
    for (const [path, valid] of table) {
      const code = codeOf(() => A.change(project(), (d) => addFile(d, { path, kind: 'text', url })))
      expect([path.slice(0, 20), code]).toEqual([path.slice(0, 20), valid ? undefined : 'INVALID_ARGUMENT'])
    }
    expect(codeOf(() => A.change(sample(), (d) => renameFile(d, 'main', 'a/../b')))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => A.change(sample(), (d) => deletePath(d, '/src')))).toBe('INVALID_ARGUMENT')
  })

  it('[P5] renameFile renames one file; a folder moves with everything under it', () => {
    let doc = A.change(sample(), (d) => renameFile(d, 'main', 'src/app.py'))
    expect(paths(doc)).toEqual(['docs', 'README.md', 'src/app.py', 'src/lib/util.py'])
    doc = A.change(doc, (d) => addFile(d, { id: 'srcdir', path: 'src', kind: 'folder' }))
    doc = A.change(doc, (d) => renameFile(d, 'srcdir', 'docs/code'))
    expect(paths(doc)).toEqual(['docs', 'docs/code', 'docs/code/app.py', 'docs/code/lib/util.py', 'README.md'])
  })

  it('[P5] renamePath moves an implied folder; bad moves are refused and change nothing', () => {
    const doc = sample()
    const moved = edit(doc, (d) => renamePath(d, 'src/lib', 'lib'))
    expect(paths(moved)).toEqual(['docs', 'lib/util.py', 'README.md', 'src/main.py'])
    const heads = A.getHeads(doc)
    expect(codeOf(() => A.change(doc, (d) => renamePath(d, 'src', 'src/inner')))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => A.change(doc, (d) => renamePath(d, 'src', 'docs')))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => A.change(doc, (d) => renameFile(d, 'main', 'README.md')))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => A.change(doc, (d) => renameFile(d, 'main', 'README.md/main.py')))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => A.change(doc, (d) => renameFile(d, 'nope', 'x')))).toBe('UNKNOWN_FILE')
    expect(codeOf(() => A.change(doc, (d) => renamePath(d, 'nowhere', 'x')))).toBe('UNKNOWN_FILE')
    expect(A.getHeads(doc)).toEqual(heads)
  })

  it('[P6] deleteFile removes a file, or a folder with everything under it; deletePath too', () => {
    const doc = A.change(sample(), (d) => addFile(d, { id: 'srcdir', path: 'src', kind: 'folder' }))
    expect(paths(edit(doc, (d) => deleteFile(d, 'readme')))).toEqual(['docs', 'src', 'src/lib/util.py', 'src/main.py'])
    expect(paths(edit(doc, (d) => deleteFile(d, 'srcdir')))).toEqual(['docs', 'README.md'])
    expect(paths(edit(doc, (d) => deletePath(d, 'src/lib')))).toEqual(['docs', 'README.md', 'src', 'src/main.py'])
    expect(codeOf(() => A.change(doc, (d) => deleteFile(d, 'nope')))).toBe('UNKNOWN_FILE')
    expect(codeOf(() => A.change(doc, (d) => deletePath(d, 'sr')))).toBe('UNKNOWN_FILE')
  })

  it('[P6][D5] a broken entry is listed as broken and can be deleted by id', () => {
    let doc = A.change(sample(), (d) => {
      ;(d.files as Record<string, unknown>)['junk'] = { path: 'x.txt', kind: 'text', url: 'not a url' }
    })
    const r = readProject(doc)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.brokenFiles).toEqual([{ id: 'junk', path: 'x.txt', reason: 'a text entry needs an Automerge URL' }])
    expect(r.value.files).toHaveLength(4)
    expect(r.problems.map((p) => p.path)).toEqual(['/files/junk'])
    doc = A.change(doc, (d) => deleteFile(d, 'junk'))
    expect(read(doc).brokenFiles).toEqual([])
  })

  it('[P7][D6] concurrent renames of one file leave one entry at one of the new paths, on both peers', () => {
    const base = sample()
    const a = A.change(A.clone(base), (d) => renameFile(d, 'main', 'src/alpha.py'))
    const b = A.change(A.clone(base), (d) => renameFile(d, 'main', 'src/beta.py'))
    const [ab, ba] = mergeBoth(a, b)
    const entries = read(ab).files.filter((f) => f.id === 'main')
    expect(entries).toHaveLength(1)
    expect(['src/alpha.py', 'src/beta.py']).toContain(entries[0]!.path)
    expect(read(ba)).toEqual(read(ab))
    expect(read(ab).files).toHaveLength(4)
  })

  it('[P8] two files created concurrently at one path both survive with deterministic names', () => {
    const base = sample()
    const u1 = generateAutomergeUrl()
    const u2 = generateAutomergeUrl()
    const a = A.change(A.clone(base), (d) => addFile(d, { id: 'zzz-late-id', path: 'src/notes.md', kind: 'text', url: u1, createdAt: 100 }))
    const b = A.change(A.clone(base), (d) => addFile(d, { id: 'aaa-later', path: 'src/notes.md', kind: 'text', url: u2, createdAt: 200 }))
    const [ab, ba] = mergeBoth(a, b)
    const notes = read(ab).files.filter((f) => f.path === 'src/notes.md')
    expect(notes.map((f) => [f.id, f.displayPath, f.conflict])).toEqual([
      ['aaa-later', 'src/notes (conflict aaa-late).md', true],
      ['zzz-late-id', 'src/notes.md', false],
    ])
    expect(read(ba)).toEqual(read(ab))
    const src = listTree(read(ab)).children.find((n) => n.name === 'src') as FolderNode
    expect(src.children.map((n) => n.name)).toEqual(['lib', 'main.py', 'notes (conflict aaa-late).md', 'notes.md'])
    // Renaming the conflicting copy by id resolves the conflict.
    const fixed = A.change(ab, (d) => renameFile(d, 'aaa-later', 'src/notes-2.md'))
    expect(read(fixed).files.every((f) => !f.conflict)).toBe(true)
  })

  it('[P8] equal creation times fall back to the id; a file where a folder also exists gets a conflict name', () => {
    const base = project()
    const url = generateAutomergeUrl()
    const a = A.change(A.clone(base), (d) => {
      addFile(d, { id: 'b-second', path: 'x', kind: 'text', url, createdAt: 5 })
    })
    const b = A.change(A.clone(base), (d) => {
      addFile(d, { id: 'a-first', path: 'x', kind: 'text', url, createdAt: 5 })
      addFile(d, { id: 'inner', path: 'y/z', kind: 'text', url, createdAt: 5 })
    })
    const c = A.change(A.clone(base), (d) => addFile(d, { id: 'file-y', path: 'y', kind: 'text', url, createdAt: 1 }))
    const merged = A.merge(A.merge(A.clone(a), b), c)
    const byId = Object.fromEntries(read(merged).files.map((f) => [f.id, f.displayPath]))
    expect(byId).toEqual({ 'a-first': 'x', 'b-second': 'x (conflict b-second)', inner: 'y/z', 'file-y': 'y (conflict file-y)' })
    expect(listTree(read(merged)).children.map(shape)).toEqual([{ y: ['z'] }, 'x', 'x (conflict b-second)', 'y (conflict file-y)'])
  })

  it('[P5][P6][P8] moving or deleting a folder leaves a file created concurrently at the same path', () => {
    const base = project()
    const url = generateAutomergeUrl()
    const a = A.change(A.clone(base), (d) => {
      addFile(d, { id: 'fx', path: 'x', kind: 'folder', createdAt: 1 })
      addFile(d, { id: 'inner', path: 'x/inner.txt', kind: 'text', url, createdAt: 1 })
    })
    const b = A.change(A.clone(base), (d) => addFile(d, { id: 'tx', path: 'x', kind: 'text', url, createdAt: 1 }))
    const merged = A.merge(A.clone(a), b)
    expect(read(merged).files.find((f) => f.id === 'tx')).toMatchObject({ displayPath: 'x (conflict tx)', conflict: true })
    const moved = edit(merged, (d) => renameFile(d, 'fx', 'y'))
    expect(read(moved).files.map((f) => [f.id, f.displayPath])).toEqual([['tx', 'x'], ['fx', 'y'], ['inner', 'y/inner.txt']])
    const deleted = edit(merged, (d) => deleteFile(d, 'fx'))
    expect(read(deleted).files.map((f) => [f.id, f.displayPath])).toEqual([['tx', 'x']])
  })

  it('[P9] a file added concurrently under a deleted or moved folder survives at its path', () => {
    const base = A.change(sample(), (d) => addFile(d, { id: 'srcdir', path: 'src', kind: 'folder' }))
    const url = generateAutomergeUrl()
    const adder = A.change(A.clone(base), (d) => addFile(d, { id: 'new', path: 'src/new.py', kind: 'text', url }))
    const deleter = A.change(A.clone(base), (d) => deleteFile(d, 'srcdir'))
    const mover = A.change(A.clone(base), (d) => renameFile(d, 'srcdir', 'lib'))
    expect(paths(A.merge(A.clone(deleter), adder))).toEqual(['docs', 'README.md', 'src/new.py'])
    expect(paths(A.merge(A.clone(mover), adder))).toEqual(['docs', 'lib', 'lib/lib/util.py', 'lib/main.py', 'README.md', 'src/new.py'])
  })

  it('[P10] listTree sorts folders first, then files, case-insensitively, with implied folders', () => {
    const url = generateAutomergeUrl()
    const doc = A.change(sample(), (d) => {
      addFile(d, { path: 'b.txt', kind: 'text', url })
      addFile(d, { path: 'A.txt', kind: 'text', url })
      addFile(d, { path: 'Zeta/x.txt', kind: 'text', url })
    })
    const tree = listTree(read(doc))
    expect(tree.path).toBe('')
    expect(tree.children.map(shape)).toEqual([
      { docs: [] },
      { src: [{ lib: ['util.py'] }, 'main.py'] },
      { Zeta: ['x.txt'] },
      'A.txt',
      'b.txt',
      'README.md',
    ])
    const docs = tree.children[0] as FolderNode
    expect(docs.folderIds.length).toBe(1)
    expect((tree.children[1] as FolderNode).folderIds).toEqual([])
  })

  it('[P11][P13] name, description, settings, links and per-file chat change; settings only where given', () => {
    const relay1 = '12D3KooWRelayOne'
    const relay2 = '12D3KooWRelayTwo'
    const grants = generateAutomergeUrl()
    const chat = generateAutomergeUrl()
    const fileChat = generateAutomergeUrl()
    let doc = A.change(sample(), (d) => {
      setProjectName(d, 'Thesis')
      setDescription(d, 'Chapter drafts')
      setSettings(d, { computePeer: '12D3KooWCompute', pinnedRelays: [relay1, relay2, relay1] })
      setProjectLinks(d, { grantsUrl: grants, chatUrl: chat })
      setFileChat(d, 'main', fileChat)
    })
    doc = A.change(doc, (d) => setSettings(d, { networkAccess: true }))
    const r = read(doc)
    expect([r.name, r.description, r.grantsUrl, r.chatUrl]).toEqual(['Thesis', 'Chapter drafts', grants, chat])
    expect(r.settings).toEqual({ computePeer: '12D3KooWCompute', pinnedRelays: [relay1, relay2], networkAccess: true })
    expect(r.files.find((f) => f.id === 'main')?.chatUrl).toBe(fileChat)
    doc = A.change(doc, (d) => setSettings(d, { computePeer: null, pinnedRelays: [relay2] }))
    expect(read(doc).settings).toEqual({ computePeer: null, pinnedRelays: [relay2], networkAccess: true })
    for (const bad of [
      (d: ProjectDoc) => setProjectName(d, ''),
      (d: ProjectDoc) => setSettings(d, { networkAccess: 'yes' as unknown as boolean }),
      (d: ProjectDoc) => setSettings(d, { pinnedRelays: ['has space'] }),
      (d: ProjectDoc) => setProjectLinks(d, { chatUrl: 'automerge:' }),
      (d: ProjectDoc) => setFileChat(d, 'main', 'nope'),
    ]) {
      expect(codeOf(() => A.change(doc, bad))).toBe('INVALID_ARGUMENT')
    }
    expect(codeOf(() => A.change(doc, (d) => setFileChat(d, 'ghost', null)))).toBe('UNKNOWN_FILE')
  })

  it('[P2] setBlob points a blob entry at new content; other kinds are refused', () => {
    let doc = A.change(project(), (d) => addFile(d, { id: 'pic', path: 'p.png', kind: 'blob', sha256: SHA, size: 3, mime: 'image/png' }))
    doc = A.change(doc, (d) => setBlob(d, 'pic', { sha256: 'cd'.repeat(32), size: 9, mime: 'image/jpeg' }))
    expect(read(doc).files[0]).toMatchObject({ sha256: 'cd'.repeat(32), size: 9, mime: 'image/jpeg' })
    expect(codeOf(() => A.change(sample(), (d) => setBlob(d, 'main', { sha256: SHA, size: 1, mime: 'a/b' })))).toBe('INVALID_ARGUMENT')
  })

  it('[P11] relays pinned concurrently by two peers both stay pinned; [P13] concurrent description edits merge', () => {
    const base = A.change(project(), (d) => setDescription(d, 'Notes on groups'))
    const a = A.change(A.clone(base), (d) => {
      setSettings(d, { pinnedRelays: ['relayA'] })
      setDescription(d, 'Notes on finite groups')
    })
    const b = A.change(A.clone(base), (d) => {
      setSettings(d, { pinnedRelays: ['relayB'] })
      setDescription(d, 'Notes on groups and rings')
    })
    const [ab, ba] = mergeBoth(a, b)
    expect([...read(ab).settings.pinnedRelays].sort()).toEqual(['relayA', 'relayB'])
    expect(read(ab).description).toBe('Notes on finite groups and rings')
    expect(read(ba)).toEqual(read(ab))
  })

  it('[D6][P13] concurrent project renames resolve to one of the two names, never a mix', () => {
    const base = project()
    const a = A.change(A.clone(base), (d) => setProjectName(d, 'Alpha'))
    const b = A.change(A.clone(base), (d) => setProjectName(d, 'Beta'))
    const [ab, ba] = mergeBoth(a, b)
    expect(['Alpha', 'Beta']).toContain(read(ab).name)
    expect(read(ba).name).toBe(read(ab).name)
  })
})

describe('documents in an automerge-repo Repo', () => {
  it('[D6][D7] created documents work as repo.create initial values and keep atomic strings', async () => {
    const { Repo } = await import('@automerge/automerge-repo')
    const repo = new Repo({})
    try {
      const handle = repo.create<ProjectDoc>(createProject({ name: 'Repo project', owner: OWNER, createdAt: 1 }))
      handle.change((d) => {
        addFile(d, { id: 'n1', path: 'nb/analysis.ipynb', kind: 'notebook', url: generateAutomergeUrl(), createdAt: 2 })
      })
      handle.change((d) => renameFile(d, 'n1', 'analysis.ipynb'))
      const r = read(handle.doc())
      expect([r.name, r.files.map((f) => f.path)]).toEqual(['Repo project', ['analysis.ipynb']])
      expect(A.isImmutableString(handle.doc().files['n1']?.path)).toBe(true)
    } finally {
      await repo.shutdown()
    }
  })
})
