/**
 * Runs one notebook's queued cells on its kernel and writes everything back into the notebook document
 * (execution goes through documents, not RPC). Cells run one at a time, by request time then by place;
 * interrupt and restart requests in the kernel area are acted on once each, even while a cell runs.
 */
import type { DocHandle, DocHandleChangePayload } from '@automerge/automerge-repo'
import {
  appendOutput,
  clearOutputs,
  markKernelRequestHandled,
  pruneKernelRequests,
  readKernel,
  readNotebook,
  setComputeOffer,
  setExecutionCount,
  setExecutionState,
  type ExecutionState,
  type KernelRequest,
  type NotebookDoc,
} from '@quire/crdt'
import type { ExecuteReply } from '../kernel/types.js'
import { KernelSession } from './kernel-session.js'
import { OutputWriter } from './output-writer.js'
import { kernelspecOf, queuedCellsOf, readOneCell, runningCells, type QueuedCell } from './queue.js'
import type { NotebookExecutorInit } from './types.js'

const DEFAULT_SPEC = 'python3'
/**
 * Stream characters a cell run keeps in the notebook (X1). Every character of text in an Automerge document
 * is an operation that each member holds and applies (a batch of 1,000,000 cost a member about 300 MB of
 * memory it never gave back), so the limit is set by what a member can afford, not by what fits on disk.
 */
export const DEFAULT_MAX_STREAM_CHARS = 100_000
/** More processes than this left running when a cell ends get a notice in the cell (S4). */
const DEFAULT_LEFTOVER_NOTICE = 8
/** Room for the kernel's truncation notices beyond the limit. */
const STREAM_NOTICE_ROOM = 1000
/** Handled requests are kept this long (so members see the answer), then pruned. */
const REQUEST_RETENTION_MS = 60 * 60 * 1000

export class NotebookExecutor {
  readonly #init: NotebookExecutorInit
  readonly #handle: DocHandle<NotebookDoc>
  readonly #session: KernelSession
  readonly #acted = new Set<string>()
  #loop: Promise<void> | undefined
  #dirty = false
  #requests: Promise<void> = Promise.resolve()
  #running: { cell: QueuedCell; startedAt: number; abortReason?: string } | undefined
  #stopped = false
  /** Requests (cell runs, kernel requests) of peers not known as writers: when first seen. */
  readonly #unknownSince = new Map<string, number>()
  #graceTimer: ReturnType<typeof setTimeout> | undefined
  /**
   * Every change wakes the executor at once (no timer: a queued cell is picked up in the same tick), but
   * only the parts it concerns: a change of the kernel area alone (our own busy/idle writes) needs no look
   * at the cells, and a change without a kernel request needs no look at the requests.
   */
  readonly #onChange = ({ patches }: DocHandleChangePayload<NotebookDoc>): void => {
    if (patches === undefined || patches.length === 0) return this.#wake()
    const top = new Set(patches.map((p) => p.path[0]))
    const requests = top.has('kernelRequests') || top.has(undefined)
    const cells = [...top].some((key) => key !== 'kernel' && key !== 'kernelRequests' && key !== 'compute')
    this.#wake({ requests, cells })
  }

  constructor(init: NotebookExecutorInit) {
    this.#init = init
    this.#handle = init.handle
    this.#session = new KernelSession(init.env, init.handle, init.workdir, init.network)
  }

  get documentId(): string {
    return this.#handle.documentId
  }

  /** The kernel this notebook runs on now, if any (for tests and status). */
  get kernel(): KernelSession {
    return this.#session
  }

  /** Recovers from a previous run of this compute peer, then starts watching the document. */
  start(): void {
    const now = this.#now()
    const notebook = readNotebook(this.#handle.doc())
    const kernel = readKernel(this.#handle.doc())
    const offer = this.#init.env.offer?.()
    this.#handle.change((doc) => {
      for (const cell of runningCells(notebook)) {
        // Nobody runs these any more: this compute peer stopped (or crashed) while they ran.
        this.#finishState(doc, cell.id, { ...cell.execution, status: 'error', finishedAt: now })
        appendOutput(doc, cell.id, { output_type: 'error', ename: 'ComputePeerRestarted', evalue: 'compute peer restarted before the cell finished; run it again', traceback: [] })
      }
      if (offer !== undefined) setComputeOffer(doc, offer)
    })
    if (kernel.state !== undefined && kernel.state.peer === this.#init.env.peerId && kernel.state.status !== 'dead') {
      this.#session.write('dead', 'compute peer restarted', kernel.state.spec)
    }
    this.#handle.on('change', this.#onChange)
    this.#wake()
  }

  /** Stops watching, shuts the kernel down and marks a running cell as stopped. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#handle.off('change', this.#onChange)
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer)
    if (this.#running !== undefined) this.#running.abortReason = 'the compute peer stopped while the cell ran; run it again'
    await this.#session.stop('compute peer stopped')
    // A kernel that never answers its last execute must not keep the compute peer from stopping.
    const limit = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref())
    await Promise.race([Promise.all([this.#loop, this.#requests]), limit])
  }

  /** Resolves once nothing is queued or running (for tests). */
  async idle(): Promise<void> {
    for (;;) {
      const loop = this.#loop
      await loop
      await this.#requests
      if (this.#loop === undefined) return
    }
  }

  #wake(what: { requests: boolean; cells: boolean } = { requests: true, cells: true }): void {
    if (this.#stopped) return
    if (what.requests) this.#requests = this.#requests.then(() => this.#handleRequests()).catch((err: unknown) => this.#log(`kernel request failed: ${(err as Error).message}`))
    if (!what.cells) return
    if (this.#loop !== undefined) {
      this.#dirty = true
      return
    }
    this.#loop = this.#runQueue().catch((err: unknown) => this.#log(`run loop failed: ${(err as Error).stack ?? String(err)}`)).finally(() => {
      this.#loop = undefined
    })
  }

  async #runQueue(): Promise<void> {
    for (;;) {
      this.#dirty = false
      if (this.#stopped) return
      const next = await this.#nextCell()
      if (next === undefined) {
        if (this.#dirty) continue
        return
      }
      await this.#run(next)
    }
  }

  /** The first cell to run; queued cells of non-writers are marked as refused on the way. */
  async #nextCell(): Promise<QueuedCell | undefined> {
    for (const cell of queuedCellsOf(this.#handle.doc())) {
      const verdict = await this.#writerVerdict(cell.requestedBy, `cell ${cell.id} ${cell.requestedAt}`)
      if (verdict === 'yes') return cell
      if (verdict === 'wait') continue
      this.#log(`refused to run cell ${cell.id}: ${cell.requestedBy ?? 'nobody'} is not a writer of the project`)
      this.#change((doc) => {
        if (!this.#stillQueued(cell)) return
        this.#finishState(doc, cell.id, { status: 'error', ...stateOf(cell), finishedAt: this.#now() })
        appendOutput(doc, cell.id, { output_type: 'error', ename: 'NotAllowed', evalue: `${cell.requestedBy ?? 'an unknown peer'} is not a writer of this project, so its cells are not run`, traceback: [] })
      })
    }
    return undefined
  }

  async #run(cell: QueuedCell): Promise<void> {
    // Deleted, edited into markdown or run elsewhere while the requester's rights were checked.
    if (!this.#stillQueued(cell)) return
    const startedAt = this.#now()
    const base: ExecutionState = { status: 'running', ...stateOf(cell), startedAt }
    this.#change((doc) => {
      setExecutionState(doc, cell.id, base)
      clearOutputs(doc, cell.id)
      setExecutionCount(doc, cell.id, null)
    })
    await this.#init.persist?.().catch((err: unknown) => this.#log(`could not write the notebook to disk before running a cell: ${(err as Error).message}`))
    const running: { cell: QueuedCell; startedAt: number; abortReason?: string } = { cell, startedAt }
    this.#running = running
    const use = this.#session.use()
    const flushMs = this.#init.env.flushMs ?? 150
    const maxStreamChars = this.#init.env.maxStreamChars ?? DEFAULT_MAX_STREAM_CHARS
    const writer = new OutputWriter({
      handle: this.#handle, cellId: cell.id, blobs: this.#init.env.blobs,
      // The kernel cuts the stream at the limit and adds its notices; the writer's own cut is a backstop.
      flushMs, maxStreamChars: maxStreamChars + STREAM_NOTICE_ROOM,
      log: (line) => this.#log(line),
    })
    let reply: ExecuteReply | undefined
    let failure: { ename: string; evalue: string } | undefined
    try {
      const spec = kernelspecOf(this.#handle.doc())?.name ?? DEFAULT_SPEC
      const kernel = await this.#session.ensure(spec)
      // The kernel's busy/idle go into the cell's last change (or out after flushMs, as outputs do).
      this.#session.hold(flushMs)
      reply = await kernel.execute(cell.source, { onOutput: (o) => writer.push(o), maxStreamChars })
      if (reply.status === 'aborted') {
        failure = { ename: 'Aborted', evalue: running.abortReason ?? this.#session.takeDeathReason() ?? 'the kernel stopped before the cell finished' }
      }
    } catch (err) {
      const death = this.#session.takeDeathReason()
      failure = death !== undefined
        ? { ename: 'KernelDied', evalue: death }
        : { ename: 'KernelError', evalue: running.abortReason ?? (err as Error).message }
    } finally {
      use.done()
      this.#running = undefined
    }
    if (failure !== undefined) writer.push({ type: 'error', ename: failure.ename, evalue: failure.evalue, traceback: [] })
    await this.#noteLeftovers(writer)
    const ok = failure === undefined && reply?.status === 'ok'
    // The last outputs, the end state and the kernel's status in one change: one sync round, one save.
    const kernelStatus = this.#session.release()
    await writer.finish((doc) => {
      if (kernelStatus !== undefined) this.#session.writeInto(doc, kernelStatus)
      try {
        // A member who queued the cell again while it ran wants it run again: leave that request alone.
        const now = readOneCell(doc, cell.id)
        if (now?.cellType !== 'code' || now.execution.status !== 'running' || now.execution.startedAt !== startedAt) return
        setExecutionState(doc, cell.id, { ...base, status: ok ? 'done' : 'error', finishedAt: this.#now() })
        setExecutionCount(doc, cell.id, reply?.executionCount ?? null)
      } catch (err) {
        // Deleted by a member meanwhile: not an error of ours.
        this.#log(`notebook ${this.#handle.documentId}: ${(err as Error).message}`)
      }
    })
    // As Jupyter does on an error: what was queued before the error ("run all") is not run after it.
    if (!ok) this.#cancelQueued(this.#now(), cell.id)
  }

  /** Says in the cell when it left more processes running than `leftoverNotice` allows (S4). */
  async #noteLeftovers(writer: OutputWriter): Promise<void> {
    const kernel = this.#session.kernel
    const threshold = this.#init.env.leftoverNotice ?? DEFAULT_LEFTOVER_NOTICE
    const count = await kernel?.leftoverProcesses?.().catch(() => 0)
    if (count === undefined || count <= threshold) return
    writer.note('stderr', `\n[${count} processes started by this notebook's cells are still running; interrupt the kernel to stop them]\n`)
  }

  async #handleRequests(): Promise<void> {
    if (this.#stopped) return
    const open = readKernel(this.#handle.doc()).requests.filter((r) => r.handledAt === undefined && !this.#acted.has(r.id))
    for (const request of open) {
      const verdict = await this.#writerVerdict(request.requestedBy, `request ${request.id}`)
      if (verdict === 'wait') continue
      this.#acted.add(request.id)
      if (verdict === 'no') {
        this.#markHandled(request, `${request.requestedBy} is not a writer of this project`)
        continue
      }
      await this.#act(request)
    }
    if (open.length > 0) this.#change((doc) => pruneKernelRequests(doc, this.#now() - REQUEST_RETENTION_MS))
  }

  async #act(request: KernelRequest): Promise<void> {
    const kernel = this.#session.kernel
    // Both stop what is queued up to the request, as in Jupyter; cells queued after it still run.
    this.#cancelQueued(request.requestedAt)
    if (request.action === 'interrupt') {
      if (kernel !== undefined && this.#running === undefined) {
        // No cell runs, but one may have left processes running: an interrupt stops those (S3).
        const killed = await kernel.killLeftovers?.().catch(() => 0)
        this.#markHandled(request, killed ? undefined : 'nothing was running')
        if (killed) this.#log(`interrupt: stopped ${killed} processes left running by earlier cells`)
        return
      }
      if (kernel === undefined || this.#running === undefined) {
        this.#markHandled(request, 'nothing was running')
        return
      }
      this.#markHandled(request)
      await kernel.interrupt().catch((err: unknown) => this.#log(`interrupt failed: ${(err as Error).message}`))
      return
    }
    if (kernel === undefined) {
      this.#markHandled(request, 'no kernel was running; the next cell run starts one')
      return
    }
    this.#markHandled(request)
    if (this.#running !== undefined) this.#running.abortReason = 'the kernel was restarted'
    this.#session.write('restarting', `restart asked by ${request.requestedBy}`)
    try {
      await kernel.restart()
      this.#session.write(kernel.status === 'dead' ? 'dead' : 'idle')
    } catch (err) {
      this.#log(`restart failed: ${(err as Error).message}`)
      await this.#session.stop(`restart failed: ${(err as Error).message}`)
    }
  }

  /**
   * Whether `peer` may have this request carried out: `wait` while it is not a writer but its grant may
   * still be on its way (see `writerGraceMs`), `no` after that.
   */
  async #writerVerdict(peer: string | undefined, key: string): Promise<'yes' | 'wait' | 'no'> {
    if (peer !== undefined && (await this.#init.isWriter(peer))) {
      this.#unknownSince.delete(key)
      return 'yes'
    }
    const grace = this.#init.env.writerGraceMs ?? 10_000
    const now = this.#now()
    const since = this.#unknownSince.get(key) ?? now
    this.#unknownSince.set(key, since)
    if (now - since >= grace) {
      this.#unknownSince.delete(key)
      return 'no'
    }
    this.#graceTimer ??= setTimeout(() => {
      this.#graceTimer = undefined
      this.#wake()
    }, Math.min(1000, grace - (now - since)) + 1)
    return 'wait'
  }

  /** Sets back to idle the cells queued at or before `until` (but not `except`). */
  #cancelQueued(until: number, except?: string): void {
    const cells = queuedCellsOf(this.#handle.doc()).filter((c) => c.id !== except && (c.requestedAt ?? 0) <= until)
    if (cells.length === 0) return
    this.#change((doc) => {
      for (const cell of cells) setExecutionState(doc, cell.id, { status: 'idle' })
    })
  }

  #markHandled(request: KernelRequest, refused?: string): void {
    this.#change((doc) => markKernelRequestHandled(doc, request.id, { by: this.#init.env.peerId, at: this.#now(), ...(refused !== undefined && { refused }) }))
  }

  #stillQueued(cell: QueuedCell): boolean {
    const now = readOneCell(this.#handle.doc(), cell.id)
    return now?.cellType === 'code' && now.execution.status === 'queued' && now.execution.requestedAt === cell.requestedAt
  }

  #finishState(doc: NotebookDoc, id: string, state: ExecutionState): void {
    setExecutionState(doc, id, state)
  }

  /** A change that may find its cell deleted by a member meanwhile: that is not an error of ours. */
  #change(fn: (doc: NotebookDoc) => void): void {
    try {
      this.#handle.change(fn)
    } catch (err) {
      this.#log(`notebook ${this.#handle.documentId}: ${(err as Error).message}`)
    }
  }

  #log(line: string): void {
    this.#init.env.log(`[executor ${this.#handle.documentId.slice(0, 8)}] ${line}`)
  }

  #now(): number {
    return (this.#init.env.now ?? Date.now)()
  }
}

function stateOf(cell: QueuedCell): Pick<ExecutionState, 'requestedBy' | 'requestedAt'> {
  return {
    ...(cell.requestedBy !== undefined && { requestedBy: cell.requestedBy }),
    ...(cell.requestedAt !== undefined && { requestedAt: cell.requestedAt }),
  }
}
