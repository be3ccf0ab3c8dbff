import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushSync, mount, unmount } from 'svelte'
import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import { createProject } from '@quire/crdt'
import FileTree from '../../src/lib/files/FileTree.svelte'
import { createFolder, projectFiles, uploadFiles } from '../../src/lib/files/file-ops.js'
import { MemoryBlobs } from './helpers/memory-blobs.js'

const self = { peerId: '12D3KooWAlice', name: 'Alice', color: '#ff0000' }
const mounted: Array<Record<string, unknown>> = []
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c)
  document.body.innerHTML = ''
})

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0))
  flushSync()
}

function button(root: HTMLElement, label: string): HTMLButtonElement {
  const found = Array.from(root.querySelectorAll('button')).find((b) => b.textContent?.trim() === label || b.title === label)
  expect(found, label).toBeDefined()
  return found!
}

function names(root: HTMLElement): string[] {
  return Array.from(root.querySelectorAll('.name')).map((b) => b.textContent!.replace(/\s+/g, ' ').trim())
}

async function fillAndSubmit(root: HTMLElement, value: string): Promise<void> {
  const input = root.querySelector<HTMLInputElement>('form.pending input[name="path"]')!
  input.value = value
  input.dispatchEvent(new Event('input', { bubbles: true }))
  flushSync()
  root.querySelector<HTMLFormElement>('form.pending')!.requestSubmit()
  await settle()
}

describe('FileTree', () => {
  it('lists files in folders, opens, creates, renames and deletes through its forms', async () => {
    const repo = new Repo()
    const project = repo.import<unknown>(A.save(createProject({ name: 'P', owner: self.peerId }) as A.Doc<unknown>))
    const blobs = new MemoryBlobs()
    await uploadFiles({ repo, project, blobs, self }, '', [
      { path: 'src/main.py', bytes: new TextEncoder().encode('print(1)\n') },
      { path: 'README.md', bytes: new TextEncoder().encode('hi') },
    ])
    const opened: string[] = []
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(FileTree, { target, props: { project, repo, self, blobs, onOpen: (id: string) => opened.push(id) } }))
    await settle()
    expect(names(target)).toEqual(['▸ src/', 'README.md'])
    button(target, '▸ src/').click()
    flushSync()
    expect(names(target)).toEqual(['▾ src/', 'main.py', 'README.md'])

    button(target, 'README.md').click()
    const readme = projectFiles(project).find((e) => e.path === 'README.md')!
    expect(opened).toEqual([readme.id])

    button(target, 'New file').click()
    flushSync()
    await fillAndSubmit(target, 'notes.tex')
    expect(projectFiles(project).map((e) => e.path)).toContain('notes.tex')
    expect(opened).toHaveLength(2)

    // Renaming to a taken name shows the reason and changes nothing.
    const row = Array.from(target.querySelectorAll('li.file')).find((li) => li.textContent?.includes('notes.tex'))!
    button(row as HTMLElement, 'Rename or move').click()
    flushSync()
    await fillAndSubmit(target, 'README.md')
    expect(target.querySelector('[role="alert"]')?.textContent).toMatch(/already exists/)
    await fillAndSubmit(target, 'src/notes.tex')
    expect(projectFiles(project).map((e) => e.path).sort()).toEqual(['README.md', 'src/main.py', 'src/notes.tex'])

    const folderRow = Array.from(target.querySelectorAll('li.folder'))[0] as HTMLElement
    button(folderRow, 'Delete').click()
    flushSync()
    target.querySelector<HTMLFormElement>('form.pending')!.requestSubmit()
    await settle()
    expect(projectFiles(project).map((e) => e.path)).toEqual(['README.md'])
    expect(names(target)).toEqual(['README.md'])
  })

  it('shows an unreadable project as an error, not a crash', async () => {
    const repo = new Repo()
    const project = repo.create<unknown>({ type: 'something else' })
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(FileTree, { target, props: { project, repo, self, blobs: new MemoryBlobs(), onOpen: () => {} } }))
    await settle()
    expect(target.querySelector('[role="alert"]')).not.toBeNull()
  })
})

describe('FileTree for a reader', () => {
  it('offers open and download only, and ignores drops', async () => {
    const repo = new Repo()
    const project = repo.import<unknown>(A.save(createProject({ name: 'P', owner: self.peerId }) as A.Doc<unknown>))
    const blobs = new MemoryBlobs()
    const ctx = { repo, project, blobs, self }
    await uploadFiles(ctx, '', [{ path: 'notes.md', bytes: new TextEncoder().encode('n') }])
    createFolder(ctx, 'docs')
    const opened: string[] = []
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(FileTree, { target, props: { project, repo, self, blobs, readOnly: true, onOpen: (id: string) => opened.push(id) } }))
    await settle()
    const labels = Array.from(target.querySelectorAll('button')).map((b) => b.getAttribute('aria-label') ?? b.textContent!.trim())
    expect(labels).toEqual(['Download zip', '▸ docs/', 'notes.md', 'Download'])
    expect(target.querySelector('[data-testid="file-tree-read-only"]')).not.toBeNull()
    button(target, 'notes.md').click()
    expect(opened).toHaveLength(1)

    const file = target.querySelector('li.file')!
    expect(file.getAttribute('draggable')).toBe('false')
    const transfer = new DataTransfer()
    transfer.setData('application/x-quire-entry', JSON.stringify({ kind: 'file', id: opened[0], name: 'notes.md' }))
    target.querySelector('li.folder')!.dispatchEvent(drag('drop', transfer))
    const desktop = new DataTransfer()
    desktop.items.add(new File(['x'], 'x.txt', { type: 'text/plain' }))
    target.querySelector('ul.root')!.dispatchEvent(drag('drop', desktop))
    await settle()
    expect(projectFiles(project).map((e) => e.path).sort()).toEqual(['docs', 'notes.md'])
  })

  it('draws row actions as inline SVG with an accessible name, not as font glyphs', async () => {
    const repo = new Repo()
    const project = repo.import<unknown>(A.save(createProject({ name: 'P', owner: self.peerId }) as A.Doc<unknown>))
    const blobs = new MemoryBlobs()
    await uploadFiles({ repo, project, blobs, self }, '', [{ path: 'a/b.md', bytes: new TextEncoder().encode('b') }])
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(FileTree, { target, props: { project, repo, self, blobs, onOpen: () => {} } }))
    await settle()
    button(target, '▸ a/').click()
    flushSync()
    const actions = Array.from(target.querySelectorAll<HTMLButtonElement>('.actions button'))
    expect(actions.map((b) => b.getAttribute('aria-label'))).toEqual(['New file here', 'Upload here', 'Rename or move', 'Delete', 'Download', 'Rename or move', 'Delete'])
    for (const b of actions) {
      expect(b.querySelector('svg')).not.toBeNull()
      expect(b.textContent!.trim()).toBe('')
    }
  })
})

/** happy-dom's DragEvent drops `dataTransfer` from its init, so attach it by hand. */
function drag(type: string, dataTransfer: DataTransfer): DragEvent {
  const event = new DragEvent(type, { bubbles: true, cancelable: true })
  Object.defineProperty(event, 'dataTransfer', { value: dataTransfer })
  return event
}

describe('FileTree drag and drop', () => {
  it('moves an entry dropped on a folder, and uploads files dropped from the desktop', async () => {
    const repo = new Repo()
    const project = repo.import<unknown>(A.save(createProject({ name: 'P', owner: self.peerId }) as A.Doc<unknown>))
    const blobs = new MemoryBlobs()
    const ctx = { repo, project, blobs, self }
    await uploadFiles(ctx, '', [{ path: 'notes.md', bytes: new TextEncoder().encode('n') }])
    createFolder(ctx, 'docs')
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(FileTree, { target, props: { project, repo, self, blobs, onOpen: () => {} } }))
    await settle()
    const file = Array.from(target.querySelectorAll('li.file')).find((li) => li.textContent?.includes('notes.md'))!
    const folder = target.querySelector('li.folder')!
    const transfer = new DataTransfer()
    file.dispatchEvent(drag('dragstart', transfer))
    folder.dispatchEvent(drag('drop', transfer))
    await settle()
    expect(projectFiles(project).map((e) => e.path)).toEqual(['docs', 'docs/notes.md'])

    const desktop = new DataTransfer()
    desktop.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0])], 'shot.png', { type: 'image/png' }))
    folder.dispatchEvent(drag('drop', desktop))
    await settle()
    await vi.waitFor(() => expect(projectFiles(project).map((e) => [e.path, e.kind])).toContainEqual(['docs/shot.png', 'blob']))
    expect(blobs.blobs.size).toBe(1)
  })
})
