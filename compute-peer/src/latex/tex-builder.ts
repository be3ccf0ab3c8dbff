/**
 * The builds of one `.tex` file (TX1 to TX4, TX14 to TX18): watches its document for a new request, checks
 * the requester may write, waits for the workspace to write the requested version, runs latexmk, stores the
 * PDF, SyncTeX file and log as blobs and writes the outcome. Requests coalesce: while a build runs, newer
 * requests leave one follow-up, which builds whatever the latest request is when it starts.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import {
  LATEX_BUILD_CODES,
  MAX_DIAGNOSTICS,
  readLatex,
  setBuildOutcome,
  setBuildRun,
  type LatexBlobRef,
  type LatexBuild,
  type LatexBuildRequest,
  type LatexDiagnostic,
  type TextDoc,
} from '@quire/crdt'
import { waitForDisk } from './disk-version.js'
import { mainDir, runLatexmk, type LatexmkResult } from './latexmk-run.js'
import { parseTexLog, toWorkspacePath, type LogEntry } from './log-parser.js'
import { relativizeSynctex } from './synctex-paths.js'
import type { LatexEnvironment } from './types.js'

export interface TexBuilderInit {
  readonly env: LatexEnvironment
  readonly handle: DocHandle<TextDoc>
  /** The file's workspace-relative path now (it may be renamed while served). */
  readonly path: () => string | undefined
  readonly workdir: string
  /** This file's build directory on the host (outside the workspace). */
  readonly outdir: string
  readonly isWriter: (peer: string) => Promise<boolean>
  readonly log: (line: string) => void
}

export class TexBuilder {
  readonly #init: TexBuilderInit
  readonly #abort = new AbortController()
  /** The request being handled now (refused, waited for, or built). */
  #current: string | undefined
  /** A newer request arrived while one was handled: handle the latest once it ends (never more than one). */
  #followUp = false
  #idle: Promise<void> = Promise.resolve()
  #stopped = false
  /** Builds run (latexmk started), for tests and metrics. */
  builds = 0
  readonly #onChange = (): void => this.#check()

  constructor(init: TexBuilderInit) {
    this.#init = init
  }

  start(): void {
    this.#init.handle.on('change', this.#onChange)
    this.#check()
  }

  /** Stops watching and kills a running build; resolves once it is gone. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#init.handle.off('change', this.#onChange)
    this.#abort.abort()
    await this.#idle
  }

  #check(): void {
    if (this.#stopped) return
    const { request, build } = readLatex(this.#init.handle.doc())
    if (request === undefined || request.id === build?.id || request.id === this.#current) return
    if (this.#current !== undefined) {
      this.#followUp = true
      return
    }
    this.#current = request.id
    this.#idle = this.#handle(request)
      .catch((err: unknown) => this.#init.log(`LaTeX build of ${this.#init.path() ?? this.#init.handle.documentId} failed: ${(err as Error).message}`))
      .finally(() => {
        this.#current = undefined
        if (this.#followUp) {
          this.#followUp = false
          this.#check()
        }
      })
  }

  async #handle(request: LatexBuildRequest): Promise<void> {
    const { env } = this.#init
    const startedAt = Date.now()
    const path = this.#init.path()
    const fail = (code: string, message: string, extra: Partial<LatexBuild> = {}): void =>
      this.#finish({ ...this.#blank(request, startedAt), status: 'error', code, message, ...extra })
    if (!(await this.#writer(request.by))) {
      fail(LATEX_BUILD_CODES.notWriter, `${request.by} may not run builds in this project (only writers may); the request was not built`)
      return
    }
    if (!env.availability.available) return fail(LATEX_BUILD_CODES.missing, env.availability.note)
    if (!env.availability.engines.includes(request.engine)) {
      return fail(LATEX_BUILD_CODES.missing, `the ${request.engine} engine is not installed on this compute peer; ${env.availability.note}`)
    }
    if (path === undefined || !/\.tex$/i.test(path)) return fail(LATEX_BUILD_CODES.noFile, 'this document is not a .tex file of the project (was it deleted or renamed?)')
    this.#run('queued')
    const builtHeads = await waitForDisk(this.#init.handle, request.heads, this.#init.workdir, path, env.diskWaitMs, this.#abort.signal)
    if (this.#stopped) return
    if (builtHeads === undefined) {
      return fail(LATEX_BUILD_CODES.notWritten, `the workspace did not write ${path} as requested within ${Math.round(env.diskWaitMs / 1000)} s; try again`)
    }
    await env.slots.run(async () => {
      if (this.#stopped) return
      this.#run('running')
      this.builds++
      let result: LatexmkResult
      try {
        result = await runLatexmk({
          id: `${this.#init.handle.documentId}-${request.id}`.slice(0, 120), workdir: this.#init.workdir, file: path, engine: request.engine,
          outdir: this.#init.outdir, host: env.host, limits: env.limits, softTimeoutMs: env.softTimeoutMs, hardTimeoutMs: env.hardTimeoutMs,
          signal: this.#abort.signal, ...(env.unsafeNoSandbox === true && { unsafeNoSandbox: true }),
        })
      } catch (err) {
        return fail(LATEX_BUILD_CODES.failed, `the build could not start: ${(err as Error).message}`, { builtHeads })
      }
      if (this.#stopped) return
      let outcome: LatexBuild
      try {
        outcome = await this.#outcome(request, path, builtHeads, result)
      } catch (err) {
        return fail(LATEX_BUILD_CODES.failed, `the build ran but its outputs could not be stored: ${(err as Error).message}`, { builtHeads })
      }
      this.#finish(outcome)
    })
  }

  async #outcome(request: LatexBuildRequest, path: string, builtHeads: string[], result: LatexmkResult): Promise<LatexBuild> {
    const { env, workdir } = this.#init
    const parsed = parseTexLog(result.log)
    const where = (e: LogEntry): LatexDiagnostic => {
      const file = e.file === undefined ? undefined : toWorkspacePath(e.file, mainDir(path), workdir)
      return { ...(file !== undefined && { file }), ...(e.line !== undefined && { line: e.line }), message: e.message }
    }
    const store = async (bytes: Uint8Array | undefined): Promise<LatexBlobRef | undefined> =>
      bytes === undefined ? undefined : { hash: await env.blobs.put(bytes), size: bytes.byteLength }
    const logText = result.output.trim() === '' || result.log === result.output ? result.log : `${result.log}\n\n=== latexmk ===\n${result.output}`
    const synctexBytes = result.synctex === undefined ? undefined : await relativizeSynctex(result.synctex, workdir, mainDir(path))
    const [pdf, synctex, log] = await Promise.all([store(result.pdf), store(synctexBytes), store(new TextEncoder().encode(logText))])
    const ok = result.exit.code === 0 && !result.timedOut
    const status = result.timedOut ? 'timeout' : ok ? 'done' : 'failed'
    const code = result.timedOut ? LATEX_BUILD_CODES.timeout
      : result.tooLarge ? LATEX_BUILD_CODES.tooLarge
        : ok ? undefined
          : parsed.errorCount > 0 ? LATEX_BUILD_CODES.texErrors : LATEX_BUILD_CODES.failed
    const message = result.timedOut ? `the build was stopped after ${Math.round(env.softTimeoutMs / 1000)} s (an endless loop?)`
      : result.tooLarge ? 'a file the build wrote passed the size limit; the build was stopped'
        : ok ? undefined
          : parsed.errorCount > 0 ? `${parsed.errorCount} error${parsed.errorCount === 1 ? '' : 's'}`
            : `latexmk ${result.exit.reason}: ${lastLines(result.output)}`
    return {
      id: request.id, status, by: env.peerId, engine: request.engine,
      startedAt: result.startedAt, finishedAt: result.finishedAt, durationMs: result.finishedAt - result.startedAt,
      builtHeads,
      ...(code !== undefined && { code }),
      ...(message !== undefined && { message }),
      ...(pdf !== undefined && { pdf }),
      ...(synctex !== undefined && { synctex }),
      ...(log !== undefined && { log }),
      errors: parsed.errors.slice(0, MAX_DIAGNOSTICS).map(where),
      warnings: parsed.warnings.slice(0, MAX_DIAGNOSTICS).map(where),
      errorCount: parsed.errorCount,
      warningCount: parsed.warningCount,
    }
  }

  #blank(request: LatexBuildRequest, startedAt: number): LatexBuild {
    const now = Date.now()
    return {
      id: request.id, status: 'error', by: this.#init.env.peerId, engine: request.engine, startedAt, finishedAt: now,
      durationMs: now - startedAt, builtHeads: [], errors: [], warnings: [], errorCount: 0, warningCount: 0,
    }
  }

  /** Grants and documents sync separately: a new writer's request may come before its grant (as for cells). */
  async #writer(peer: string): Promise<boolean> {
    const deadline = Date.now() + this.#init.env.writerGraceMs
    for (;;) {
      if (await this.#init.isWriter(peer).catch(() => false)) return true
      if (Date.now() >= deadline || this.#stopped) return false
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  #run(status: 'queued' | 'running'): void {
    const id = this.#current
    if (id === undefined || this.#stopped) return
    this.#init.handle.change((d) => setBuildRun(d, { id, status, by: this.#init.env.peerId, at: Date.now() }))
  }

  #finish(build: LatexBuild): void {
    if (this.#stopped) return
    this.#init.handle.change((d) => setBuildOutcome(d, build))
    this.#init.log(`LaTeX ${this.#init.path() ?? ''}: ${build.status}${build.code !== undefined ? ` (${build.code})` : ''} in ${build.durationMs} ms`)
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ').slice(-600)
}

