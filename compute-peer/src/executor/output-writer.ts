/**
 * Writes one cell's outputs into the notebook document while the cell runs. Kernel messages arrive one by
 * one (a loop printing a line each millisecond sends a thousand a second); writing each as its own change
 * would flood every peer, so outputs are buffered and written together every `flushMs`, stream text of one
 * name merged into one insertion. Order is kept: images become blobs before anything after them is written.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import { appendDisplayData, appendOutput, clearOutputs, CrdtError, updateDisplayData, type NotebookDoc, type Output } from '@quire/crdt'
import type { KernelOutput } from '../kernel/types.js'
import { toDocumentBundle, toDocumentMetadata, type BlobSink } from './mime-bundle.js'
import { readOneCell } from './queue.js'

/** Options of {@link OutputWriter}. */
export interface OutputWriterInit {
  readonly handle: DocHandle<NotebookDoc>
  readonly cellId: string
  readonly blobs: BlobSink
  /** How often buffered output is written, ms. */
  readonly flushMs: number
  /** Stream characters kept per cell run; more are dropped with one note (a runaway print loop). */
  readonly maxStreamChars: number
  readonly log: (line: string) => void
}

type Op =
  | { kind: 'stream'; name: string; text: string }
  | { kind: 'output'; output: Promise<Output> }
  | { kind: 'display'; output: Promise<Output>; displayId: string }
  | { kind: 'update'; displayId: string; update: Promise<Output> }
  | { kind: 'clear' }

type Ready = { kind: 'stream'; name: string; text: string } | { kind: 'clear' } | { kind: 'output'; output: Output } | { kind: 'display'; output: Output; displayId: string } | { kind: 'update'; displayId: string; output: Output }

/** Stream characters written per change at most (X2). */
const CHANGE_STREAM_CHARS = 16_000

/** Splits ops into consecutive batches of at most `max` stream characters each (other ops cost nothing). */
function splitStreamText(ops: readonly Ready[], max: number): Ready[][] {
  const batches: Ready[][] = [[]]
  let room = max
  for (const op of ops) {
    if (op.kind !== 'stream') {
      batches[batches.length - 1]!.push(op)
      continue
    }
    let text = op.text
    while (text.length > 0) {
      if (room === 0) {
        batches.push([])
        room = max
      }
      const part = text.slice(0, room)
      text = text.slice(part.length)
      room -= part.length
      batches[batches.length - 1]!.push({ kind: 'stream', name: op.name, text: part })
    }
  }
  return batches
}

/** See the module comment. Feed it with `push`, then `finish` once the kernel replied. */
export class OutputWriter {
  readonly #init: OutputWriterInit
  #ops: Op[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #flushing: Promise<void> = Promise.resolve()
  #clearOnNext = false
  #streamChars = 0
  #truncated = false
  #gone = false

  constructor(init: OutputWriterInit) {
    this.#init = init
  }

  /** Takes one kernel output (synchronously: kernels call back from their message loop). */
  push(output: KernelOutput): void {
    if (output.type === 'clear_output') {
      // clear_output(wait=True): clear only when the next output arrives, so an animation does not flicker.
      if (output.wait) this.#clearOnNext = true
      else this.#add({ kind: 'clear' })
      return
    }
    if (this.#clearOnNext) {
      this.#clearOnNext = false
      this.#add({ kind: 'clear' })
    }
    switch (output.type) {
      case 'stream':
        this.#stream(output.name, output.text)
        break
      case 'error':
        this.#add({ kind: 'output', output: Promise.resolve({ output_type: 'error', ename: output.ename, evalue: output.evalue, traceback: [...output.traceback] }) })
        break
      case 'execute_result':
        this.#add({ kind: 'output', output: this.#rich(output.data, output.metadata).then(({ data, metadata }) => ({ output_type: 'execute_result', data, metadata, execution_count: output.executionCount })) })
        break
      case 'display_data': {
        const rich = this.#rich(output.data, output.metadata).then(({ data, metadata }): Output => ({ output_type: 'display_data', data, metadata }))
        this.#add(output.displayId !== undefined ? { kind: 'display', output: rich, displayId: output.displayId } : { kind: 'output', output: rich })
        break
      }
      case 'update_display_data':
        if (output.displayId === undefined) break
        this.#add({ kind: 'update', displayId: output.displayId, update: this.#rich(output.data, output.metadata).then(({ data, metadata }): Output => ({ output_type: 'display_data', data, metadata })) })
        break
    }
  }

  /** Adds text as if the kernel had printed it (e.g. the reason a kernel died). */
  note(name: 'stdout' | 'stderr', text: string): void {
    this.#stream(name, text)
  }

  /**
   * Writes everything still buffered; resolves once it is in the document. `final` (the cell's end state)
   * goes into the same change as the last outputs, so a fast cell's result reaches members as one change
   * (each change costs a sync round and a save); if that change fails, the outputs are written as before
   * and `final` on its own.
   */
  async finish(final?: (doc: NotebookDoc) => void): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#flush(final)
  }

  #stream(name: string, text: string): void {
    if (this.#truncated || text.length === 0) return
    const room = this.#init.maxStreamChars - this.#streamChars
    if (text.length > room) {
      this.#truncated = true
      text = text.slice(0, Math.max(0, room)) + `\n[output truncated after ${this.#init.maxStreamChars} characters]\n`
    }
    this.#streamChars += text.length
    const last = this.#ops[this.#ops.length - 1]
    if (last?.kind === 'stream' && last.name === name) last.text += text
    else this.#add({ kind: 'stream', name, text })
  }

  #rich(data: Readonly<Record<string, unknown>>, metadata: Readonly<Record<string, unknown>>): Promise<{ data: Awaited<ReturnType<typeof toDocumentBundle>>; metadata: ReturnType<typeof toDocumentMetadata> }> {
    const converted = toDocumentBundle(data, this.#init.blobs).then((bundle) => ({ data: bundle, metadata: toDocumentMetadata(metadata) }))
    // Rejections are handled when the op is written; this keeps an early failure from being "unhandled".
    converted.catch(() => {})
    return converted
  }

  #add(op: Op): void {
    this.#ops.push(op)
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined
      void this.#flush()
    }, this.#init.flushMs)
  }

  #flush(final?: (doc: NotebookDoc) => void): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write(final))
    return this.#flushing
  }

  async #write(final?: (doc: NotebookDoc) => void): Promise<void> {
    const ops = this.#ops
    this.#ops = []
    if (ops.length === 0 || this.#gone) {
      if (final !== undefined) this.#init.handle.change(final)
      return
    }
    const ready: Ready[] = []
    for (const op of ops) {
      try {
        if (op.kind === 'stream' || op.kind === 'clear') ready.push(op)
        else if (op.kind === 'update') ready.push({ kind: 'update', displayId: op.displayId, output: await op.update })
        else if (op.kind === 'display') ready.push({ kind: 'display', displayId: op.displayId, output: await op.output })
        else ready.push({ kind: 'output', output: await op.output })
      } catch (err) {
        this.#init.log(`could not store an output of cell ${this.#init.cellId}: ${(err as Error).message}`)
        ready.push({ kind: 'stream', name: 'stderr', text: `[an output could not be stored: ${(err as Error).message}]\n` })
      }
    }
    // A burst of text goes in as several changes: a member applies each change's characters as one batch,
    // and the memory a batch takes (a few hundred bytes per character, in WebAssembly memory that is never
    // returned) stays taken. The batches go out one flush interval apart, so that sync sends them apart.
    const batches = splitStreamText(ready, CHANGE_STREAM_CHARS)
    for (const batch of batches.slice(0, -1)) {
      this.#applyBatch(batch)
      await new Promise((resolve) => setTimeout(resolve, this.#init.flushMs))
    }
    this.#applyBatch(batches[batches.length - 1] ?? [], final)
  }

  #applyBatch(ready: readonly Ready[], final?: (doc: NotebookDoc) => void): void {
    if (this.#gone) {
      if (final !== undefined) this.#init.handle.change(final)
      return
    }
    const { cellId } = this.#init
    const apply = (doc: NotebookDoc): void => {
      for (const op of ready) {
        if (op.kind === 'clear') clearOutputs(doc, cellId)
        else if (op.kind === 'stream') appendOutput(doc, cellId, { output_type: 'stream', name: op.name, text: op.text })
        else if (op.kind === 'display' && op.output.output_type === 'display_data') appendDisplayData(doc, cellId, op.output, op.displayId)
        else if (op.kind === 'update' && op.output.output_type === 'display_data') updateDisplayData(doc, op.displayId, { data: op.output.data, metadata: op.output.metadata })
        else if (op.kind === 'output') appendOutput(doc, cellId, op.output)
      }
    }
    if (final !== undefined) {
      try {
        this.#init.handle.change((doc) => {
          apply(doc)
          final(doc)
        })
        return
      } catch {
        // A failed change leaves the document as it was: retried below in two, so the outputs' fault is
        // handled (and reported) as before and the end state is written anyway.
      }
    }
    try {
      this.#init.handle.change(apply)
    } catch (err) {
      // The cell was deleted (or made a markdown cell) by a member while it ran: its outputs have nowhere to go.
      if (!(err instanceof CrdtError)) throw err
      const cell = readOneCell(this.#init.handle.doc(), cellId)
      if (cell?.cellType !== 'code') this.#gone = true
      else this.#init.log(`outputs of cell ${cellId} were dropped: ${err.message}`)
    } finally {
      if (final !== undefined) this.#init.handle.change(final)
    }
  }
}
