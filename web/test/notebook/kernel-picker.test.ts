// @vitest-environment jsdom
/**
 * The notebook's kernel picker (N29) and the questions asked before a restart or "Run all" while others
 * have the notebook open (issue 18, items 4 and 5).
 */
import { save } from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { flushSync, mount, unmount } from 'svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createNotebook, insertCell, readKernel, readNotebook, setComputeOffer, type ComputeOffer, type NotebookDoc } from '@quire/crdt'
import NotebookView from '../../src/lib/notebook/components/NotebookView.svelte'
import { sharedActionQuestion } from '../../src/lib/notebook/kernel-status.js'

const self = { peerId: '12D3KooWAlice', name: 'Alice', color: '#cc3333' }
const PYTHON = { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
const offer: ComputeOffer = {
  peer: '12D3KooWCompute',
  kernels: [{ name: 'python3', displayName: 'Python 3 (ipykernel)', language: 'python' }, { name: 'sagemath', displayName: 'SageMath 9.5', language: 'sage' }],
  limits: {}, network: false, notes: [], onlineSince: 1, updatedAt: 1,
}
const cleanups: (() => Promise<void> | void)[] = []

Range.prototype.getClientRects = () => ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as unknown as DOMRectList
Range.prototype.getBoundingClientRect = () => new DOMRect(0, 0, 0, 0)

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  document.body.innerHTML = ''
  vi.restoreAllMocks()
})

function setup(build: (d: NotebookDoc) => void = () => undefined): { handle: DocHandle<NotebookDoc>; target: HTMLElement } {
  const repo = new Repo({ network: [] })
  cleanups.push(() => repo.shutdown())
  const handle = repo.import<NotebookDoc>(save(createNotebook({ kernelspec: PYTHON })))
  handle.change(build)
  const target = document.createElement('div')
  document.body.append(target)
  return { handle, target }
}

function render(props: Record<string, unknown>, target: HTMLElement): void {
  const blobs = { get: vi.fn(async () => new Uint8Array()), put: vi.fn(async () => 'd'.repeat(64)) }
  const component = mount(NotebookView, { target, props: { self, blobs, ...props } as never })
  cleanups.push(() => unmount(component))
  flushSync()
}

/** Presence with `names` in the notebook `file1` (and nobody in any cell). */
function presenceWith(names: string[]): unknown {
  const peers = names.map((name, i) => ({ peerId: `12D3KooWPeer${i}`, senderId: `s${i}`, name, color: '#000', fileId: 'file1' }))
  return {
    peersIn: () => [], peersInFile: (id: string) => (id === 'file1' ? peers : []), local: {},
    setFile: () => undefined, setActivity: () => undefined, noteTyping: () => undefined,
  }
}

function statusOf(handle: DocHandle<NotebookDoc>): string | undefined {
  const cell = readNotebook(handle.doc()).cells[0]
  return cell?.cellType === 'code' ? cell.execution.status : undefined
}

function button(target: HTMLElement, text: string): HTMLButtonElement {
  return Array.from(target.querySelectorAll('button')).find((b) => b.textContent?.includes(text))!
}

describe('kernel picker', () => {
  it('[N29] lists the kernels the compute peer offers; choosing one sets the notebook kernelspec', () => {
    const { handle, target } = setup((d) => setComputeOffer(d, offer))
    render({ handle }, target)
    const select = target.querySelector<HTMLSelectElement>('[data-testid="kernel-picker"]')!
    expect(Array.from(select.options).map((o) => o.textContent)).toEqual(['Python 3 (ipykernel)', 'SageMath 9.5'])
    expect(select.value).toBe('python3')
    select.value = 'sagemath'
    select.dispatchEvent(new Event('change', { bubbles: true }))
    flushSync()
    expect(readNotebook(handle.doc()).kernelspec).toEqual({ name: 'sagemath', display_name: 'SageMath 9.5', language: 'sage' })
    expect(readKernel(handle.doc()).offer?.kernels).toHaveLength(2)
  })

  it('says so when the notebook names a kernel the compute peer does not offer, and waits for an offer', () => {
    const { handle, target } = setup((d) => setComputeOffer(d, { ...offer, kernels: [offer.kernels[1]!] }))
    render({ handle }, target)
    const options = Array.from(target.querySelectorAll<HTMLOptionElement>('[data-testid="kernel-picker"] option'))
    expect(options.map((o) => [o.textContent, o.disabled])).toEqual([['Python 3 (ipykernel) (not on this compute peer)', true], ['SageMath 9.5', false]])

    const waiting = setup()
    render({ handle: waiting.handle }, waiting.target)
    expect(waiting.target.querySelector('[data-testid="kernel-picker"]')?.textContent).toContain("Waiting for the compute peer's kernels")
  })

  it('a reader sees the kernel by name, with nothing to choose', () => {
    const { handle, target } = setup((d) => setComputeOffer(d, offer))
    render({ handle, readOnly: true }, target)
    expect(target.querySelector('[data-testid="kernel-picker"]')).toBeNull()
    expect(target.querySelector('[data-testid="kernel-name"]')?.textContent).toBe('Python 3 (ipykernel)')
  })
})

describe('restart and Run all with others in the notebook', () => {
  it('asks first, naming who is there; cancelled, nothing is queued or restarted', () => {
    const { handle, target } = setup((d) => { insertCell(d, 0, { cellType: 'code', source: 'x = 1' }) })
    render({ handle, presence: presenceWith(['Bo', 'Cy']), fileId: 'file1' }, target)
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false)
    button(target, 'Run all').click()
    button(target, 'Restart').click()
    flushSync()
    expect(confirm.mock.calls.map((c) => c[0])).toEqual([sharedActionQuestion('run-all', ['Bo', 'Cy']), sharedActionQuestion('restart', ['Bo', 'Cy'])])
    expect(confirm.mock.calls[0]![0]).toContain('Bo and Cy have this notebook open')
    expect(statusOf(handle)).not.toBe('queued')
    expect(readKernel(handle.doc()).requests).toHaveLength(0)

    confirm.mockReturnValue(true)
    button(target, 'Run all').click()
    button(target, 'Restart').click()
    flushSync()
    expect(statusOf(handle)).toBe('queued')
    expect(readKernel(handle.doc()).requests.map((r) => r.action)).toEqual(['restart'])
  })

  it('alone in the notebook, acts at once without asking', () => {
    const { handle, target } = setup((d) => { insertCell(d, 0, { cellType: 'code', source: 'x = 1' }) })
    render({ handle, presence: presenceWith([]), fileId: 'file1' }, target)
    const confirm = vi.spyOn(window, 'confirm')
    button(target, 'Run all').click()
    flushSync()
    expect(confirm).not.toHaveBeenCalled()
    expect(statusOf(handle)).toBe('queued')
  })

  it('names one, two, three and more people in the question', () => {
    expect(sharedActionQuestion('restart', ['Bo'])).toMatch(/^Restart the kernel\? Bo has this notebook open/)
    expect(sharedActionQuestion('run-all', ['Bo', 'Cy', 'Di'])).toContain('Bo, Cy and Di have')
    expect(sharedActionQuestion('run-all', ['Bo', 'Cy', 'Di', 'Ed', 'Fa'])).toContain('Bo, Cy and 3 others have')
  })
})
