/**
 * The LaTeX view's handle on SyncTeX: requests go to a Web Worker, so a jump never blocks typing and needs
 * no round trip to the compute peer. Where Worker does not exist (unit tests in Node), the same service runs
 * in this thread.
 */
import {
  SynctexError, SynctexService, type ForwardAnswer, type InverseAnswer, type SynctexErrorCode, type SynctexLoad, type SynctexLoaded,
  type SynctexRequest,
} from './synctex-service.js'

type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: SynctexErrorCode; message: string } }

export class SynctexClient {
  readonly #worker: Worker | undefined
  readonly #local: SynctexService | undefined
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>()
  #next = 1
  #closed = false

  /** `useWorker: false` answers in this thread (tests; browsers without module workers). */
  constructor(options: { useWorker?: boolean } = {}) {
    if ((options.useWorker ?? true) && typeof Worker !== 'undefined') {
      this.#worker = new Worker(new URL('./synctex-worker.ts', import.meta.url), { type: 'module', name: 'synctex' })
      this.#worker.onmessage = (event: MessageEvent<Answer>) => {
        const answer = event.data
        const waiter = this.#pending.get(answer.id)
        if (!waiter) return
        this.#pending.delete(answer.id)
        if (answer.ok) waiter.resolve(answer.value)
        else waiter.reject(new SynctexError(answer.error.code, answer.error.message))
      }
      this.#worker.onerror = (event) => {
        const error = new SynctexError('SYNCTEX_BAD_REQUEST', `The SyncTeX worker failed: ${event.message}; reload the page.`)
        for (const waiter of this.#pending.values()) waiter.reject(error)
        this.#pending.clear()
      }
    } else {
      this.#local = new SynctexService()
    }
  }

  /** Loads a `.synctex.gz` (the bytes are copied to the worker; the caller keeps its own). */
  load(load: SynctexLoad): Promise<SynctexLoaded> {
    return this.#ask({ type: 'load', ...load }) as Promise<SynctexLoaded>
  }

  /** Where `line` of the project file `path` is in the PDF. */
  forward(path: string, line: number): Promise<ForwardAnswer> {
    return this.#ask({ type: 'forward', path, line }) as Promise<ForwardAnswer>
  }

  /** The source of the point (x, y) (PDF points from the page's top-left) on 1-based `page`. */
  inverse(page: number, x: number, y: number): Promise<InverseAnswer | undefined> {
    return this.#ask({ type: 'inverse', page, x, y }) as Promise<InverseAnswer | undefined>
  }

  close(): void {
    this.#closed = true
    this.#worker?.terminate()
    const error = new SynctexError('SYNCTEX_NOT_LOADED', 'The SyncTeX view was closed.')
    for (const waiter of this.#pending.values()) waiter.reject(error)
    this.#pending.clear()
  }

  #ask(request: SynctexRequest): Promise<unknown> {
    if (this.#closed) return Promise.reject(new SynctexError('SYNCTEX_NOT_LOADED', 'The SyncTeX view was closed.'))
    if (this.#local) {
      try {
        return Promise.resolve(this.#local.handle(request))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#worker!.postMessage({ id, request })
    })
  }
}
