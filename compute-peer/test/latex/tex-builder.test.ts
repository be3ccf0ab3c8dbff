/**
 * The builder of one `.tex` file on its own (no daemon, no latexmk): refusals that never reach TeX, and the
 * build slots. The daemon tests (latex-daemon.test.ts) run real builds.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { createText, readLatex, requestBuild, type LatexBuild, type TextDoc } from '@quire/crdt'
import { afterEach, describe, expect, it } from 'vitest'
import { BuildSlots } from '../../src/latex/index.js'
import type { LatexAvailability } from '../../src/latex/index.js'
import { TexBuilder } from '../../src/latex/tex-builder.js'
import type { LatexEnvironment } from '../../src/latex/types.js'
import type { SandboxHost } from '../../src/sandbox/capabilities.js'

const WRITER = '12D3KooWWriter'
const READER = '12D3KooWReader'
const MISSING: LatexAvailability = { available: false, engines: [], biber: false, note: 'LaTeX: NOT available (latexmk not found); the operator can install it: apt-get install -y --no-install-recommends latexmk texlive-latex-base' }

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c()
})

async function builderFor(availability: LatexAvailability, writers: string[]): Promise<{ handle: DocHandle<TextDoc>; builder: TexBuilder }> {
  const repo = new Repo({ network: [] })
  const dir = await mkdtemp(join(tmpdir(), 'quire-texbuilder-'))
  const handle = repo.create<TextDoc>(createText('\\documentclass{article}\\begin{document}x\\end{document}\n'))
  const env: LatexEnvironment = {
    peerId: '12D3KooWCompute', host: {} as SandboxHost, availability, blobs: { put: async () => 'a'.repeat(64) },
    limits: {}, softTimeoutMs: 1000, hardTimeoutMs: 2000, diskWaitMs: 500, writerGraceMs: 300, slots: new BuildSlots(1),
  }
  const builder = new TexBuilder({ env, handle, path: () => 'paper.tex', workdir: dir, outdir: join(dir, 'out'), isWriter: async (p) => writers.includes(p), log: () => {} })
  builder.start()
  cleanup.push(async () => {
    await builder.stop()
    await repo.shutdown()
    await rm(dir, { recursive: true, force: true })
  })
  return { handle, builder }
}

function ask(handle: DocHandle<TextDoc>, by: string): string {
  const heads = A.getHeads(handle.doc())
  let id = ''
  handle.change((d) => { id = requestBuild(d, { by, heads }) })
  return id
}

async function outcome(handle: DocHandle<TextDoc>, id: string): Promise<LatexBuild> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const build = readLatex(handle.doc()).build
    if (build?.id === id) return build
    if (Date.now() > deadline) throw new Error(`no outcome for ${id}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('the builder of one .tex file', () => {
  it('[TX2] a request by a peer that is not a writer never runs: LATEX_NOT_A_WRITER, no blobs', async () => {
    const { handle, builder } = await builderFor({ available: true, engines: ['pdf'], biber: true, note: '' }, [WRITER])
    const build = await outcome(handle, ask(handle, READER))
    expect(build).toMatchObject({ status: 'error', code: 'LATEX_NOT_A_WRITER', builtHeads: [] })
    expect(build.pdf).toBeUndefined()
    expect(build.log).toBeUndefined()
    expect(builder.builds).toBe(0)
    expect(readLatex(handle.doc()).run).toBeUndefined()
  })

  it('[TX11] without LaTeX a writer\'s request gets LATEX_MISSING naming what to install', async () => {
    const { handle, builder } = await builderFor(MISSING, [WRITER])
    const build = await outcome(handle, ask(handle, WRITER))
    expect(build).toMatchObject({ status: 'error', code: 'LATEX_MISSING' })
    expect(build.message).toContain('apt-get install')
    expect(builder.builds).toBe(0)
  })

  it('[TX11] an engine that is not installed is LATEX_MISSING too', async () => {
    const { handle } = await builderFor({ available: true, engines: ['pdf'], biber: false, note: 'LaTeX: latexmk with pdflatex' }, [WRITER])
    const heads = A.getHeads(handle.doc())
    let id = ''
    handle.change((d) => { id = requestBuild(d, { by: WRITER, heads, engine: 'lualatex' }) })
    const build = await outcome(handle, id)
    expect(build).toMatchObject({ status: 'error', code: 'LATEX_MISSING', engine: 'lualatex' })
    expect(build.message).toContain('lualatex')
  })

  it('[TX3] a build whose file the workspace never writes ends LATEX_NOT_WRITTEN, and the builder handles the next request', async () => {
    const { handle } = await builderFor({ available: true, engines: ['pdf'], biber: true, note: '' }, [WRITER])
    // Nothing writes paper.tex into the (empty) workdir here.
    const first = await outcome(handle, ask(handle, WRITER))
    expect(first).toMatchObject({ status: 'error', code: 'LATEX_NOT_WRITTEN' })
    const second = await outcome(handle, ask(handle, READER))
    expect(second.code).toBe('LATEX_NOT_A_WRITER')
  })

  it('[TX9] build slots: at most the given number of jobs run at once, the others wait their turn', async () => {
    const slots = new BuildSlots(2)
    let running = 0
    let most = 0
    const job = async (): Promise<void> => {
      running++
      most = Math.max(most, running)
      await new Promise((resolve) => setTimeout(resolve, 20))
      running--
    }
    await Promise.all(Array.from({ length: 7 }, () => slots.run(job)))
    expect(most).toBe(2)
    await expect(slots.run(async () => { throw new Error('boom') })).rejects.toThrow('boom')
    await Promise.all(Array.from({ length: 3 }, () => slots.run(job)))
    expect(running).toBe(0)
  })
})
