// @vitest-environment jsdom
import { save } from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { flushSync, mount, unmount } from 'svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EditorView } from '@codemirror/view'
import { appendOutput, createNotebook, editSource, insertCell, setExecutionCount, readNotebook, setExecutionState, setKernelState, type NotebookDoc } from '@quire/crdt'
import NotebookView from '../../src/lib/notebook/components/NotebookView.svelte'

const self = { peerId: '12D3KooWAlice', name: 'Alice', color: '#cc3333' }
const PNG_HASH = 'd'.repeat(64)
const cleanups: (() => Promise<void> | void)[] = []

// jsdom has no layout; CodeMirror measures text ranges, so give ranges empty geometry.
Range.prototype.getClientRects = () => ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as unknown as DOMRectList
Range.prototype.getBoundingClientRect = () => new DOMRect(0, 0, 0, 0)

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  document.body.innerHTML = ''
})

function setup(build: (d: NotebookDoc) => void): { handle: DocHandle<NotebookDoc>; target: HTMLElement; blobs: { get: ReturnType<typeof vi.fn>; put: ReturnType<typeof vi.fn> } } {
  const repo = new Repo({ network: [] })
  cleanups.push(() => repo.shutdown())
  const handle = repo.import<NotebookDoc>(save(createNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } })))
  handle.change(build)
  const target = document.createElement('div')
  document.body.append(target)
  const blobs = { get: vi.fn(async () => new Uint8Array([1, 2, 3])), put: vi.fn(async () => PNG_HASH) }
  return { handle, target, blobs }
}

function render(props: Record<string, unknown>, target: HTMLElement): void {
  const component = mount(NotebookView, { target, props: props as never })
  cleanups.push(() => unmount(component))
  flushSync()
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0))
    flushSync()
  }
}

describe('NotebookView', () => {
  it('renders cells, rich outputs safely, and broken outputs as broken', async () => {
    const { handle, target, blobs } = setup((d) => {
      insertCell(d, 0, { cellType: 'markdown', source: '# Title with $x^2$' })
      const code = insertCell(d, 1, { cellType: 'code', source: 'print("hi")' })
      appendOutput(d, code, { output_type: 'stream', name: 'stdout', text: '\x1b[31mred\x1b[0m plain\n' })
      appendOutput(d, code, { output_type: 'display_data', data: { 'text/html': '<script>parent.x=1</script><b>bold</b>', 'text/plain': 'b' }, metadata: {} })
      appendOutput(d, code, { output_type: 'display_data', data: { 'image/png': { blob: PNG_HASH, size: 3, mime: 'image/png' } }, metadata: {} })
      ;(d.cells[code] as unknown as { outputs: unknown[] }).outputs.push('junk')
      setExecutionState(d, code, { status: 'done', startedAt: 1000, finishedAt: 3500 })
      setExecutionCount(d, code, 7)
    })
    render({ handle, self, blobs }, target)
    await settle()

    // Markdown renders (with KaTeX) when not being edited.
    expect(target.querySelector('.markdown-block h1')?.textContent).toContain('Title with')
    expect(target.querySelector('.markdown-block .katex')).not.toBeNull()
    // ANSI colours as styled spans, not escape codes.
    const red = Array.from(target.querySelectorAll('pre.ansi span')).find((s) => s.textContent === 'red') as HTMLElement | undefined
    expect(red?.style.color).toMatch(/#e75c58|rgb\(231, 92, 88\)/)
    expect(target.textContent).not.toContain('\x1b')
    // HTML only inside a sandboxed iframe without allow-same-origin; no script reaches this page.
    const frame = target.querySelector('iframe.html-output') as HTMLIFrameElement
    expect(frame.getAttribute('sandbox')).toBe('allow-scripts')
    expect(frame.getAttribute('srcdoc')).toContain('<b>bold</b>')
    expect(target.querySelector('script')).toBeNull()
    // The blob image was fetched through props.blobs and shown from an object URL.
    expect(blobs.get).toHaveBeenCalledWith(PNG_HASH)
    expect(target.querySelector('img.output-image')?.getAttribute('src')).toMatch(/^blob:/)
    // The junk output is shown as broken; the prompt and the run time are shown.
    expect(target.textContent).toContain('Broken output')
    expect(target.textContent).toContain('[7]')
    expect(target.textContent).toContain('2.5 s')
  })

  it('says when no compute peer serves the project, and shows kernel start-up progress otherwise', async () => {
    const { handle, target, blobs } = setup((d) => {
      insertCell(d, 0, { cellType: 'code', source: '1' })
    })
    render({ handle, self, blobs, computePeers: { assigned: null, online: false } }, target)
    expect(target.querySelector('.kernel-status')?.textContent).toContain('No compute peer serves this project: ask an admin to assign one')

    const other = setup((d) => {
      insertCell(d, 0, { cellType: 'code', source: '1' })
      setKernelState(d, { peer: '12D3KooWCompute', spec: 'python3', status: 'starting', message: 'starting sandbox', updatedAt: 1 })
    })
    render({ handle: other.handle, self, blobs: other.blobs, computePeers: { assigned: '12D3KooWCompute', online: true } }, other.target)
    const status = other.target.querySelector('.kernel-status')
    expect(status?.textContent).toContain('Starting kernel python3')
    expect(status?.textContent).toContain('starting sandbox')
    expect(status?.querySelector('progress')).not.toBeNull()
  })

  it('queues every code cell from Run all and shows them queued', async () => {
    const { handle, target, blobs } = setup((d) => {
      insertCell(d, 0, { cellType: 'code', source: 'a = 1' })
      insertCell(d, 1, { cellType: 'markdown', source: 'text' })
      insertCell(d, 2, { cellType: 'code', source: 'a' })
    })
    render({ handle, self, blobs }, target)
    const runAll = Array.from(target.querySelectorAll('button')).find((b) => b.textContent?.includes('Run all'))!
    runAll.click()
    flushSync()
    const statuses = readNotebook(handle.doc()).cells.flatMap((c) => (c.cellType === 'code' ? [[c.execution.status, c.execution.requestedBy]] : []))
    expect(statuses).toEqual([
      ['queued', self.peerId],
      ['queued', self.peerId],
    ])
    expect(target.querySelectorAll('.status-queued')).toHaveLength(2)
    expect(target.textContent).toContain('[*]')
  })

  it('follows a remote change: a cell added by another peer appears', async () => {
    const { handle, target, blobs } = setup((d) => {
      insertCell(d, 0, { cellType: 'code', source: 'x' })
    })
    render({ handle, self, blobs }, target)
    expect(target.querySelectorAll('.cell')).toHaveLength(1)
    handle.change((d) => insertCell(d, 1, { cellType: 'markdown', source: 'from **bob**' }))
    await settle()
    expect(target.querySelectorAll('.cell')).toHaveLength(2)
    expect(target.querySelector('.cell-markdown strong')?.textContent).toBe('bob')
  })
})

describe('NotebookView editing and keys', () => {
  it('binds each cell editor to its source both ways', async () => {
    const { handle, target, blobs } = setup((d) => {
      insertCell(d, 0, { cellType: 'code', source: 'x = 1' })
    })
    render({ handle, self, blobs }, target)
    await settle()
    const view = EditorView.findFromDOM(target.querySelector('.cm-editor') as HTMLElement)!
    expect(view.state.doc.toString()).toBe('x = 1')
    view.dispatch({ changes: { from: 5, insert: '0' } })
    await settle()
    const id = readNotebook(handle.doc()).cells[0]!.id
    expect(readNotebook(handle.doc()).cells[0]).toMatchObject({ source: 'x = 10' })
    handle.change((d) => editSource(d, id, 0, 0, '# remote\n'))
    await settle()
    // The same editor all along: typing must never recreate it (that would drop focus and cursor).
    expect(EditorView.findFromDOM(target.querySelector('.cm-editor') as HTMLElement)).toBe(view)
    expect(view.state.doc.toString()).toBe('# remote\nx = 10')
  })

  it('Shift-Enter in a cell editor queues the cell and moves on; command keys insert and delete', async () => {
    const { handle, target, blobs } = setup((d) => {
      insertCell(d, 0, { cellType: 'code', source: '1 + 1' })
    })
    render({ handle, self, blobs }, target)
    await settle()
    const content = target.querySelector('.cm-content') as HTMLElement
    content.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true, bubbles: true, cancelable: true }))
    await settle()
    const cells = readNotebook(handle.doc()).cells
    expect(cells).toHaveLength(2)
    expect(cells[0]).toMatchObject({ execution: { status: 'queued', requestedBy: self.peerId } })

    // Escape to command mode, then "a" inserts above and "dd" deletes it again.
    const root = target.querySelector('.notebook') as HTMLElement
    const press = (key: string): void => {
      root.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }))
      flushSync()
    }
    const editors = target.querySelectorAll('.cm-content')
    editors[1]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }))
    await settle()
    press('a')
    expect(readNotebook(handle.doc()).cells).toHaveLength(3)
    press('Escape')
    const escape = target.querySelectorAll('.cm-content')[1]!
    escape.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }))
    await settle()
    press('d')
    press('d')
    expect(readNotebook(handle.doc()).cells).toHaveLength(2)
  })
})

describe('NotebookView re-renders only what changed', () => {
  it('keeps an HTML output frame while another cell is edited', async () => {
    let codeId = ''
    const { handle, target, blobs } = setup((d) => {
      const html = insertCell(d, 0, { cellType: 'code', source: 'df' })
      appendOutput(d, html, { output_type: 'execute_result', data: { 'text/html': '<table></table>' }, metadata: {}, execution_count: 1 })
      codeId = insertCell(d, 1, { cellType: 'code', source: 'x' })
    })
    render({ handle, self, blobs }, target)
    await settle()
    const frame = target.querySelector('iframe.html-output')
    expect(frame).not.toBeNull()
    handle.change((d) => editSource(d, codeId, 1, 0, 'yz'))
    await settle()
    expect(target.querySelector('iframe.html-output')).toBe(frame)
  })
})

describe('NotebookView arrow keys at the edges of a cell', () => {
  it('ArrowDown on the last line moves to the next cell', async () => {
    const { handle, target, blobs } = setup((d) => {
      insertCell(d, 0, { cellType: 'code', source: 'one' })
      insertCell(d, 1, { cellType: 'code', source: 'two' })
    })
    render({ handle, self, blobs }, target)
    await settle()
    const first = EditorView.findFromDOM(target.querySelectorAll('.cm-editor')[0] as HTMLElement)!
    first.focus()
    first.contentDOM.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true, cancelable: true }))
    await settle()
    const ids = readNotebook(handle.doc()).cells.map((c) => c.id)
    expect(target.querySelector('.cell.selected')?.getAttribute('data-cell-id')).toBe(ids[1])
    expect(target.querySelector('.cell.selected')?.classList.contains('editing')).toBe(true)
  })
})
