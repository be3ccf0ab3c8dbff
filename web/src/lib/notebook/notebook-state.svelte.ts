/**
 * The state of one open notebook: the cells read from the document (through `readNotebook`, so a junk
 * document never breaks the view), which cell is selected, command or edit mode, and every action a member
 * takes. Document changes enter Svelte through `createSubscriber`, so nothing is copied into `$state` and
 * every collaborator's edit shows up the moment the handle reports it.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import {
  deleteCell,
  insertCell,
  moveCell,
  readKernel,
  readNotebook,
  setCellType,
  setKernelspec,
  type CellRead,
  type CellType,
  type KernelAction,
  type KernelRead,
  type NotebookDoc,
  type NotebookRead,
  type OfferedKernel,
} from '@quire/crdt'
import { createSubscriber } from 'svelte/reactivity'
import { clearCell, requestKernelAction, requestRun, requestRunMany } from './execution-requests.js'
import { shareById, shareStructure } from './share-structure.js'
import type { NotebookSelf } from './types.js'

/** Command mode: keys act on cells. Edit mode: keys go to the selected cell's editor. */
export type NotebookMode = 'command' | 'edit'

/** Options for {@link NotebookState}; `now` is replaceable for tests. */
export interface NotebookStateOptions {
  readonly now?: () => number
}

const EMPTY_KERNEL: KernelRead = { state: undefined, requests: [], offer: undefined, problems: [] }

export class NotebookState {
  readonly #handle: DocHandle<NotebookDoc>
  readonly #self: NotebookSelf
  readonly #now: () => number
  readonly #subscribe: () => void
  #readFrom: unknown = undefined
  #read: NotebookRead = readNotebook(undefined)
  #kernel: KernelRead = EMPTY_KERNEL

  /** The selected cell's id (it may have been deleted by another peer since: see `selectedIndex`). */
  selectedId = $state<string | undefined>(undefined)
  mode = $state<NotebookMode>('command')
  /** The last action that failed, in words, until the next action succeeds. */
  error = $state<string | undefined>(undefined)

  constructor(handle: DocHandle<NotebookDoc>, self: NotebookSelf, options: NotebookStateOptions = {}) {
    this.#handle = handle
    this.#self = self
    this.#now = options.now ?? Date.now
    this.#subscribe = createSubscriber((update) => {
      handle.on('change', update)
      handle.on('delete', update)
      return () => {
        handle.off('change', update)
        handle.off('delete', update)
      }
    })
  }

  /** The notebook as read now; re-read only when the document changed (Automerge docs are immutable). */
  get notebook(): NotebookRead {
    this.#subscribe()
    this.#refresh()
    return this.#read
  }

  get cells(): readonly CellRead[] {
    return this.notebook.cells
  }

  /** The kernel area (state, requests, offer) as the compute peer and members wrote it. */
  get kernel(): KernelRead {
    this.#subscribe()
    this.#refresh()
    return this.#kernel
  }

  /** How many code cells are queued or running. */
  get pendingCount(): number {
    return this.cells.filter((c) => c.cellType === 'code' && (c.execution.status === 'queued' || c.execution.status === 'running')).length
  }

  /** Index of the selected cell in display order, or -1. */
  get selectedIndex(): number {
    const id = this.selectedId
    return id === undefined ? -1 : this.cells.findIndex((c) => c.id === id)
  }

  get selectedCell(): CellRead | undefined {
    return this.cells[this.selectedIndex]
  }

  /** Whether `id` shows its editor as the one being typed in. */
  isEditing(id: string): boolean {
    return this.mode === 'edit' && this.selectedId === id
  }

  select(id: string | undefined, mode: NotebookMode = 'command'): void {
    this.selectedId = id
    this.mode = id === undefined ? 'command' : mode
  }

  /** Selects the cell `delta` places away from the selected one (clamped); returns its id. */
  selectRelative(delta: number): string | undefined {
    const cells = this.cells
    if (cells.length === 0) return undefined
    const from = this.selectedIndex
    const to = from < 0 ? (delta > 0 ? 0 : cells.length - 1) : Math.min(cells.length - 1, Math.max(0, from + delta))
    this.select(cells[to]!.id)
    return this.selectedId
  }

  enterEdit(id: string | undefined = this.selectedId): void {
    if (id === undefined || !this.cells.some((c) => c.id === id && c.cellType !== 'broken')) return
    this.select(id, 'edit')
  }

  exitEdit(): void {
    this.mode = 'command'
  }

  /** Inserts a cell at `index` (clamped), selects it in edit mode and returns its id. */
  insertCell(index: number, cellType: CellType = 'code', source = ''): string | undefined {
    let id: string | undefined
    this.#change((doc) => {
      const count = readNotebook(doc).cells.length
      id = insertCell(doc, Math.min(Math.max(0, index), count), { cellType, source })
    })
    if (id !== undefined) this.select(id, 'edit')
    return id
  }

  insertAbove(id: string | undefined = this.selectedId, cellType: CellType = 'code'): string | undefined {
    const index = this.#indexOf(id)
    return this.insertCell(index < 0 ? 0 : index, cellType)
  }

  insertBelow(id: string | undefined = this.selectedId, cellType: CellType = 'code'): string | undefined {
    const index = this.#indexOf(id)
    return this.insertCell(index < 0 ? this.cells.length : index + 1, cellType)
  }

  /** Deletes a cell; the selection moves to the cell that took its place (or the new last one). */
  deleteCell(id: string | undefined = this.selectedId): void {
    if (id === undefined) return
    const index = this.#indexOf(id)
    if (!this.#change((doc) => deleteCell(doc, id))) return
    if (this.selectedId === id) {
      const cells = this.cells
      this.select(cells[Math.min(index, cells.length - 1)]?.id)
    }
  }

  /** Moves a cell up (negative) or down (positive) by `delta` places, clamped to the ends. */
  moveCell(id: string | undefined, delta: number): void {
    if (id === undefined) return
    const from = this.#indexOf(id)
    if (from < 0) return
    const to = Math.min(this.cells.length - 1, Math.max(0, from + delta))
    if (to !== from) this.#change((doc) => moveCell(doc, id, to))
  }

  setCellType(id: string | undefined, cellType: CellType): void {
    if (id === undefined) return
    this.#change((doc) => setCellType(doc, id, cellType))
  }

  /**
   * Runs a cell: a code cell is queued for the compute peer (N15); a Markdown cell just leaves edit mode,
   * which renders it. Returns whether a code cell was queued.
   */
  run(id: string | undefined = this.selectedId): boolean {
    if (id === undefined) return false
    const cell = this.cells.find((c) => c.id === id)
    if (cell === undefined || cell.cellType === 'broken') return false
    let queued = false
    if (cell.cellType === 'code') this.#change((doc) => (queued = requestRun(doc, id, this.#self.peerId, this.#now())))
    if (this.selectedId === id) this.mode = 'command'
    return queued
  }

  /** Shift-Enter: runs the cell and selects the next one, adding a code cell after the last (as Jupyter). */
  runAndAdvance(id: string | undefined = this.selectedId): void {
    if (id === undefined) return
    const index = this.#indexOf(id)
    this.run(id)
    const next = this.cells[index + 1]
    if (next) this.select(next.id, next.cellType === 'code' ? 'edit' : 'command')
    else if (index >= 0) this.insertCell(index + 1, 'code')
  }

  /** Queues every code cell, top to bottom; returns how many. */
  runAll(): number {
    return this.#runMany(this.cells.map((c) => c.id))
  }

  /** Queues the selected cell and every code cell after it. */
  runFromSelected(): number {
    const index = Math.max(0, this.selectedIndex)
    return this.#runMany(this.cells.slice(index).map((c) => c.id))
  }

  clearOutputs(id: string | undefined = this.selectedId): void {
    if (id === undefined) return
    this.#change((doc) => clearCell(doc, id))
  }

  clearAllOutputs(): void {
    this.#change((doc) => {
      for (const cell of readNotebook(doc).cells) if (cell.cellType === 'code') clearCell(doc, cell.id)
    })
  }

  interrupt(): void {
    this.#kernelAction('interrupt')
  }

  restart(): void {
    this.#kernelAction('restart')
  }

  /** Chooses the notebook's kernel (N29): the compute peer starts it for the next cell it runs. */
  setKernel(kernel: OfferedKernel): void {
    this.#change((doc) => setKernelspec(doc, { name: kernel.name, display_name: kernel.displayName, language: kernel.language }))
  }

  #kernelAction(action: KernelAction): void {
    this.#change((doc) => requestKernelAction(doc, action, this.#self.peerId, this.#now()))
  }

  #runMany(ids: string[]): number {
    let count = 0
    this.#change((doc) => (count = requestRunMany(doc, ids, this.#self.peerId, this.#now()).length))
    this.mode = 'command'
    return count
  }

  #indexOf(id: string | undefined): number {
    return id === undefined ? -1 : this.cells.findIndex((c) => c.id === id)
  }

  /** One member action as one change; a failure (a cell deleted meanwhile) becomes `error`, not a throw. */
  #change(fn: (doc: NotebookDoc) => void): boolean {
    try {
      this.#handle.change(fn)
      this.error = undefined
      return true
    } catch (cause) {
      this.error = cause instanceof Error ? cause.message : String(cause)
      return false
    }
  }

  #refresh(): void {
    let doc: unknown
    try {
      doc = this.#handle.doc()
    } catch {
      // A deleted or unavailable handle reads as an empty notebook.
      doc = undefined
    }
    if (doc === this.#readFrom && this.#readFrom !== undefined) return
    this.#readFrom = doc
    const read = readNotebook(doc)
    const prev = this.#read
    this.#read = {
      ...read,
      metadata: shareStructure(prev.metadata, read.metadata),
      problems: shareStructure(prev.problems, read.problems),
      cells: shareById(prev.cells, read.cells),
    }
    this.#kernel = doc === undefined ? EMPTY_KERNEL : shareStructure(this.#kernel, readKernel(doc))
  }
}
