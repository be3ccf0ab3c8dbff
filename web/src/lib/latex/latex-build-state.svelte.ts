/**
 * The build area of one `.tex` file's document, live: what `readLatex` says after every change (local or
 * remote), when this browser saw the current build start, and asking for a build (a change to the document,
 * which the compute peer picks up: builds go through documents like notebook cells).
 */
import { getHeads, type Doc } from '@automerge/automerge'
import type { DocHandle } from '@automerge/automerge-repo'
import { latexActivity, readLatex, requestBuild, type LatexRead, type TextDoc } from '@quire/crdt'

export class LatexBuildState {
  read = $state.raw<LatexRead>(readLatex(undefined))
  /** When this browser first saw the current run as `running` (its own clock), for "Building… 3 s". */
  runningSince = $state<number | undefined>(undefined)
  readonly #handle: DocHandle<unknown>
  readonly #now: () => number
  #runningId: string | undefined

  constructor(handle: DocHandle<unknown>, now: () => number = Date.now) {
    this.#handle = handle
    this.#now = now
  }

  /** Starts following the document; returns the stop function. */
  start(): () => void {
    const refresh = (): void => this.#refresh()
    this.#handle.on('change', refresh)
    this.#refresh()
    return () => { this.#handle.off('change', refresh) }
  }

  /** Asks for a build of the document as it is now; returns the request id. */
  request(by: string): string {
    let id = ''
    // Hex change hashes, as the schema wants them (handle.heads() gives base58).
    const heads = getHeads(this.#handle.doc() as Doc<unknown>)
    this.#handle.change((doc) => { id = requestBuild(doc as unknown as TextDoc, { by, heads: [...heads], at: this.#now() }) })
    this.#refresh()
    return id
  }

  #refresh(): void {
    const read = readLatex(this.#handle.doc())
    this.read = read
    if (latexActivity(read) === 'running') {
      if (this.#runningId !== read.run?.id) {
        this.#runningId = read.run?.id
        this.runningSince = this.#now()
      }
    } else {
      this.#runningId = undefined
      this.runningSince = undefined
    }
  }
}
