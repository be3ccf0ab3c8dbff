/**
 * LaTeX builds in the running compute peer: a member (this process) asks through the `.tex` file's document,
 * the daemon (child process) runs real latexmk in the sandbox and writes the outcome back; the member fetches
 * the PDF over /quire/blob.
 */
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import * as A from '@automerge/automerge'
import { readLatex, readProject, spliceText, textAt, type TextDoc } from '@quire/crdt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { article, isPdf, newPeerId, startLatexWorld, type LatexWorld } from './harness.js'

let world: LatexWorld

beforeAll(async () => {
  // 8 MiB: the huge-output test passes it at once; every real build here stays far below.
  world = await startLatexWorld({ QUIRE_COMPUTE_LATEX_FILE_SIZE_MB: '8' })
}, 120_000)

afterAll(async () => {
  await world?.stop()
})

/** The ids of the runs the compute peer marked `running`, from the document's whole history. */
function runningIds(doc: A.Doc<TextDoc>): string[] {
  const ids: string[] = []
  for (const state of A.getHistory(doc)) {
    const run = readLatex(state.snapshot).run
    if (run?.status === 'running' && ids[ids.length - 1] !== run.id) ids.push(run.id)
  }
  return ids
}

describe('LaTeX builds in the compute daemon', () => {
  it('[TX1][TX11][TX13] a writer\'s request on paper.tex yields a PDF, a SyncTeX file and the log as blobs the member can fetch', async () => {
    expect(world.compute.info.latex).toMatchObject({ available: true })
    expect(world.compute.info.latex?.engines).toContain('pdf')
    const { member } = world
    const paper = member.addText('paper.tex', article('Hello world.\n\\section{Intro}\\label{sec:intro}\nSee Section~\\ref{sec:intro}.'))
    const id = member.request(paper)
    const build = await member.outcome(paper, id)
    expect(build).toMatchObject({ id, status: 'done', by: member.computeId, engine: 'pdf', errors: [] })
    expect(build.code).toBeUndefined()
    expect(readLatex(paper.doc()).run).toBeUndefined()
    const pdf = await member.fetchBlob(build.pdf!.hash)
    expect(isPdf(pdf)).toBe(true)
    expect(pdf.byteLength).toBe(build.pdf!.size)
    const synctex = gunzipSync(await member.fetchBlob(build.synctex!.hash)).toString('utf8')
    expect(synctex).toMatch(/^SyncTeX Version:/)
    expect(synctex).toMatch(/^Input:\d+:paper\.tex$/m)
    expect(synctex).not.toContain(world.workdir)
    const log = Buffer.from(await member.fetchBlob(build.log!.hash)).toString('utf8')
    expect(log).toContain('This is pdfTeX')
    expect(textAt(paper.doc(), [...build.builtHeads])).toContain('Hello world.')
  }, 120_000)

  it('[TX4] auxiliary files and the PDF stay out of the workspace and the file tree', async () => {
    const names = await readdir(world.workdir)
    expect(names).toContain('paper.tex')
    expect(names.filter((n) => /\.(aux|log|pdf|fls|fdb_latexmk|synctex\.gz)$/.test(n))).toEqual([])
    const read = readProject(world.member.project.project.doc())
    expect(read.ok && read.value.files.map((f) => f.displayPath).filter((p) => !p.endsWith('.tex'))).toEqual([])
  })

  it('[TX3] the build uses the version asked for (or later): builtHeads hold the edit made before the request', async () => {
    const { member } = world
    const paper = member.addText('versions.tex', article('First version.'))
    await member.outcome(paper, member.request(paper))
    paper.change((d) => spliceText(d, d.content.indexOf('First'), 5, 'Second'))
    const build = await member.outcome(paper, member.request(paper))
    expect(build.status).toBe('done')
    expect(textAt(paper.doc(), [...build.builtHeads])).toContain('Second version.')
  }, 120_000)

  it('[TX5] an undefined control sequence on line 12 of an \\input file is reported with that file and line', async () => {
    const { member } = world
    const lines = Array.from({ length: 15 }, (_, i) => (i === 11 ? 'Here is \\undefinedmacro{} on line twelve.' : `Line ${i + 1}.`))
    member.addText('sections/intro.tex', lines.join('\n') + '\n')
    const main = member.addText('inputs.tex', article('\\input{sections/intro}'))
    const build = await member.outcome(main, member.request(main))
    expect(build.status).toBe('failed')
    expect(build.code).toBe('LATEX_ERRORS')
    expect(build.errors[0]).toMatchObject({ file: 'sections/intro.tex', line: 12 })
    expect(build.errors[0]!.message).toContain('Undefined control sequence')
    // nonstopmode goes on after the error: there is still a PDF.
    expect(build.pdf).toBeDefined()
  }, 120_000)

  it('[TX10] bibliographies: \\cite with BibTeX and with biblatex and biber leave no undefined citation', async () => {
    const { member } = world
    member.addText('refs.bib', '@book{knuth84, author = {Donald E. Knuth}, title = {The {\\TeX}book}, publisher = {Addison-Wesley}, year = {1984}}\n')
    const bibtex = member.addText('bibtex.tex', article('As shown by \\cite{knuth84}.\n\\bibliographystyle{plain}\n\\bibliography{refs}'))
    const biber = member.addText('biber.tex', article('As shown by \\cite{knuth84}.\n\\printbibliography', '\\usepackage[backend=biber]{biblatex}\n\\addbibresource{refs.bib}\n'))
    const [a, b] = await Promise.all([member.outcome(bibtex, member.request(bibtex)), member.outcome(biber, member.request(biber))])
    for (const build of [a, b]) {
      expect(build.status, JSON.stringify(build)).toBe('done')
      expect(build.warnings.filter((w) => /undefined/i.test(w.message))).toEqual([])
    }
  }, 180_000)

  it('[TX9] rapid requests coalesce: six requests while a build runs give at most two builds, the last one built', async () => {
    const { member } = world
    const paper = member.addText('rapid.tex', article('Edit 0.'))
    const ids: string[] = []
    for (let i = 1; i <= 6; i++) {
      paper.change((d) => spliceText(d, d.content.indexOf('Edit') + 5, 1, String(i)))
      ids.push(member.request(paper))
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const last = await member.outcome(paper, ids[ids.length - 1]!)
    expect(last.status).toBe('done')
    expect(textAt(paper.doc(), [...last.builtHeads])).toContain('Edit 6.')
    const runs = runningIds(paper.doc())
    expect(runs.length).toBeGreaterThanOrEqual(1)
    expect(runs.length).toBeLessThanOrEqual(2)
    expect(runs[runs.length - 1]).toBe(ids[ids.length - 1])
  }, 120_000)

  it('[TX2] a reader\'s request (and a stranger\'s) never runs: LATEX_NOT_A_WRITER', async () => {
    const { member } = world
    const reader = await newPeerId()
    await member.grant(reader, 'reader')
    const stranger = await newPeerId()
    const a = member.addText('reader.tex', article('Reader.'))
    const b = member.addText('stranger.tex', article('Stranger.'))
    const [ra, rb] = await Promise.all([member.outcome(a, member.request(a, { by: reader })), member.outcome(b, member.request(b, { by: stranger }))])
    for (const build of [ra, rb]) {
      expect(build).toMatchObject({ status: 'error', code: 'LATEX_NOT_A_WRITER', builtHeads: [] })
      expect(build.pdf).toBeUndefined()
      expect(runningIds(a.doc())).toEqual([])
    }
  }, 120_000)

  it('[TX4][TX8] \\write18 and \\immediate\\write18 run nothing; reading /etc/passwd is refused; the peer keeps building', async () => {
    const { member } = world
    const tag = randomBytes(6).toString('hex')
    const body = [
      `\\write18{touch /tmp/pwned-${tag}-a; touch pwned-${tag}-a}`,
      `\\immediate\\write18{touch /tmp/pwned-${tag}-b; touch pwned-${tag}-b}`,
      'Text.',
      '\\newread\\secret',
      '\\openin\\secret=/etc/passwd',
      '\\ifeof\\secret \\typeout{PASSWD-REFUSED}\\else \\read\\secret to \\line \\typeout{PASSWD-LEAK: \\line}\\fi',
    ].join('\n')
    // latexmk's rc files are Perl: a project's own must not run (TX4).
    member.addText('latexmkrc', `system("touch pwned-${tag}-rc");\n`)
    member.addText('.latexmkrc', `system("touch pwned-${tag}-dotrc");\n`)
    for (let i = 0; i < 300 && !(existsSync(join(world.workdir, 'latexmkrc')) && existsSync(join(world.workdir, '.latexmkrc'))); i++) await new Promise((r) => setTimeout(r, 100))
    expect(existsSync(join(world.workdir, '.latexmkrc'))).toBe(true)
    const evil = member.addText('evil.tex', article(body))
    const build = await member.outcome(evil, member.request(evil))
    expect(build.status).not.toBe('timeout')
    const log = Buffer.from(await member.fetchBlob(build.log!.hash)).toString('utf8')
    expect(log).not.toContain('PASSWD-LEAK')
    expect(log).not.toMatch(/root:.*:0:0:/)
    for (const suffix of ['rc', 'dotrc']) expect(existsSync(join(world.workdir, `pwned-${tag}-${suffix}`))).toBe(false)
    for (const suffix of ['a', 'b']) {
      expect(existsSync(`/tmp/pwned-${tag}-${suffix}`)).toBe(false)
      expect(existsSync(join(world.workdir, `pwned-${tag}-${suffix}`))).toBe(false)
    }
    const input = member.addText('passwd.tex', article('\\input{/etc/passwd}'))
    const refused = await member.outcome(input, member.request(input))
    const inputLog = Buffer.from(await member.fetchBlob(refused.log!.hash)).toString('utf8')
    expect(inputLog).not.toMatch(/root:.*:0:0:/)
    expect(refused.status).toBe('failed')
    const after = member.addText('after-evil.tex', article('Still serving.'))
    expect((await member.outcome(after, member.request(after))).status).toBe('done')
  }, 180_000)

  it('[TX7] a build writing past the file size limit is stopped (LATEX_OUTPUT_TOO_LARGE); the peer keeps building', async () => {
    const { member } = world
    // About 300 MB of log lines (to the log only: write stream -1) unless stopped; the limit here is 8 MiB.
    const line = 'x'.repeat(300)
    const body = `\\newcount\\n \\loop \\immediate\\write-1{${line}}\\advance\\n by 1 \\ifnum\\n<1000000 \\repeat`
    const huge = member.addText('huge.tex', article(body))
    const build = await member.outcome(huge, member.request(huge))
    expect(build).toMatchObject({ status: 'failed', code: 'LATEX_OUTPUT_TOO_LARGE' })
    const after = member.addText('after-huge.tex', article('Still serving.'))
    expect((await member.outcome(after, member.request(after))).status).toBe('done')
  }, 180_000)
})

/** The soft time limit the limited daemon is started with (seconds). */
const SOFT_LIMIT_S = 6

describe('LaTeX build time limits', () => {
  let limited: LatexWorld
  beforeAll(async () => {
    limited = await startLatexWorld({ QUIRE_COMPUTE_LATEX_TIMEOUT_SECONDS: String(SOFT_LIMIT_S), QUIRE_COMPUTE_LATEX_KILL_SECONDS: '12' })
  }, 120_000)
  afterAll(async () => {
    await limited?.stop()
  })

  it('[TX7][TX8] an endless loop is stopped at the soft time limit with status timeout; the peer keeps building', async () => {
    const { member } = limited
    const loop = member.addText('loop.tex', article('\\def\\x{\\x}\\x'))
    const build = await member.outcome(loop, member.request(loop))
    expect(build).toMatchObject({ status: 'timeout', code: 'LATEX_TIMEOUT' })
    // Not a speed: the build must not have been stopped before the configured limit (a slower machine only
    // makes it longer); 1 s below it for the clocks of the two processes.
    expect(build.durationMs).toBeGreaterThanOrEqual((SOFT_LIMIT_S - 1) * 1000)
    const after = member.addText('after-loop.tex', article('Still serving.'))
    expect((await member.outcome(after, member.request(after))).status).toBe('done')
  }, 180_000)
})
