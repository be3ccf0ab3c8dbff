/**
 * LaTeX builds as a project service (TX1): while the compute peer serves a project, every `.tex` text file of
 * its file tree is watched for build requests (one {@link TexBuilder} each); a file deleted from the tree
 * stops being watched. Builds go to `<state dir>/latex/<document id>`, outside the workspace.
 */
import { join } from 'node:path'
import type { AutomergeUrl, DocHandle, DocumentId } from '@automerge/automerge-repo'
import { readProject, type ProjectDoc, type TextDoc } from '@quire/crdt'
import type { ProjectServiceContext, ProjectServiceFactory } from '../runtime/service.js'
import { TexBuilder } from './tex-builder.js'
import type { LatexEnvironment } from './types.js'

/** The project's `.tex` text files by document id, with their paths now. */
function texFiles(project: DocHandle<ProjectDoc>): Map<DocumentId, { url: AutomergeUrl; path: string }> {
  const out = new Map<DocumentId, { url: AutomergeUrl; path: string }>()
  const read = readProject(project.doc())
  if (!read.ok) return out
  for (const file of read.value.files) {
    if (file.kind !== 'text' || !/\.tex$/i.test(file.displayPath)) continue
    const id = file.url.replace(/^automerge:/, '') as DocumentId
    out.set(id, { url: file.url as AutomergeUrl, path: file.displayPath })
  }
  return out
}

/** One project's builders. */
class ProjectLatex {
  readonly #ctx: ProjectServiceContext
  readonly #env: LatexEnvironment
  readonly #builders = new Map<DocumentId, TexBuilder>()
  readonly #opening = new Set<DocumentId>()
  #files = new Map<DocumentId, { url: AutomergeUrl; path: string }>()
  #project: DocHandle<ProjectDoc> | undefined
  #stopped = false
  #timer: NodeJS.Timeout | undefined
  readonly #onProject = (): void => this.#sync()

  constructor(ctx: ProjectServiceContext, env: LatexEnvironment) {
    this.#ctx = ctx
    this.#env = env
  }

  get builds(): number {
    return [...this.#builders.values()].reduce((n, b) => n + b.builds, 0)
  }

  async start(): Promise<void> {
    this.#project = await this.#ctx.repo.find<ProjectDoc>(this.#ctx.project)
    this.#project.on('change', this.#onProject)
    // A file's document that no peer had sent yet is looked for again.
    this.#timer = setInterval(() => this.#sync(), 2000)
    this.#timer.unref()
    this.#sync()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    this.#project?.off('change', this.#onProject)
    const builders = [...this.#builders.values()]
    this.#builders.clear()
    await Promise.all(builders.map((b) => b.stop()))
  }

  #sync(): void {
    if (this.#stopped || this.#project === undefined) return
    this.#files = texFiles(this.#project)
    for (const [id, builder] of this.#builders) {
      if (this.#files.has(id)) continue
      this.#builders.delete(id)
      void builder.stop()
    }
    for (const [id, { url }] of this.#files) {
      if (this.#builders.has(id) || this.#opening.has(id)) continue
      this.#opening.add(id)
      // Not awaited: a document no peer has sent yet must not hold up the others.
      void this.#open(id, url)
        .catch((err: unknown) => this.#ctx.log(`LaTeX: ${url} is not available yet (${(err as Error).message})`))
        .finally(() => this.#opening.delete(id))
    }
  }

  async #open(id: DocumentId, url: AutomergeUrl): Promise<void> {
    const handle = await this.#ctx.repo.find<TextDoc>(url)
    if (this.#stopped || this.#builders.has(id) || !this.#files.has(id)) return
    const builder = new TexBuilder({
      env: this.#env, handle, workdir: this.#ctx.workdir,
      path: () => this.#files.get(id)?.path,
      outdir: join(this.#ctx.stateDir('latex'), id),
      isWriter: (peer) => this.#ctx.isWriter(peer),
      log: this.#ctx.log,
    })
    this.#builders.set(id, builder)
    builder.start()
  }
}

/** The LaTeX service factory for the daemon's list of project services. */
export function latexService(env: LatexEnvironment): ProjectServiceFactory {
  return async (ctx) => {
    const latex = new ProjectLatex(ctx, env)
    await latex.start()
    return {
      name: 'latex',
      health: () => (env.availability.available ? { state: 'ok', detail: `${latex.builds} builds` } : { state: 'degraded', detail: env.availability.note }),
      stop: () => latex.stop(),
    }
  }
}
