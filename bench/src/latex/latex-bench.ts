/**
 * `latex rebuild` (issue 16): a one-character edit of a 10-page article with a bibliography, through the
 * documents (a member edits `paper.tex` in its copy and asks for a build; the `quire-compute` daemon, a child
 * process, waits for the workspace to write the file, runs latexmk in the sandbox and writes the outcome; the
 * member fetches the new PDF blob) against latexmk run directly on the same files in a directory of this
 * process (the floor: no sandbox, no documents). Every time is on this process's clock.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import type { DocHandle } from '@automerge/automerge-repo'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryLevel } from 'memory-level'
import { addFile, appendGrantEntries, createText, readLatex, requestBuild, spliceText, type TextDoc } from '@quire/crdt'
import { BlobService, BlobStore, ProjectIndex, accessShareConfig, createProjectWithGrants, createQuireNode, createQuireRepo, signGrant } from '@quire/node'
import { startComputeProcess } from '@quire/compute-peer/testing'
import { wallNow } from '../lib/proc.js'

/** Median, p95 and max in ms (nearest rank: every figure is a run that happened). */
export interface Spread {
  readonly count: number
  readonly median: number
  readonly p95: number
  readonly max: number
}

function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN
  return { count: sorted.length, median: rank(0.5), p95: rank(0.95), max: sorted[sorted.length - 1] ?? NaN }
}

export interface LatexBenchResult {
  readonly pages: number
  /** Edit in the member's copy to the new PDF's bytes fetched from the compute peer. */
  readonly document: Spread
  /** Edit to the compute peer's `running` state in our copy: pick-up and the wait for the workspace to write the file. */
  readonly running: Spread
  /** The daemon's own build time (`durationMs`: latexmk in the sandbox). */
  readonly inside: Spread
  /** latexmk run directly on the same files after the same edit. */
  readonly direct: Spread
}

const BIB = Array.from({ length: 12 }, (_, i) => `@article{ref${i}, author = {Author ${i} and Other Person}, title = {On the Subject Number ${i}}, journal = {Journal of Benchmarks}, volume = {${i + 1}}, pages = {1--20}, year = {${1990 + i}}}`).join('\n\n') + '\n'

/** About 10 pages: sections of plain paragraphs, each citing an entry, a bibliography at the end. */
function paper(): string {
  const paragraph = (s: number, p: number) => `Paragraph ${p} of section ${s}. ${'The quick brown fox jumps over the lazy dog while the results are discussed in detail. '.repeat(6)}See \\cite{ref${(s + p) % 12}}.\n\n`
  const sections = Array.from({ length: 10 }, (_, s) => `\\section{Section ${s + 1}}\\label{sec:${s}}\n${Array.from({ length: 5 }, (_, p) => paragraph(s, p)).join('')}`).join('\n')
  return `\\documentclass{article}\n\\begin{document}\n\\title{A Benchmark Paper}\\author{Quire}\\maketitle\n${sections}\n\\bibliographystyle{plain}\n\\bibliography{refs}\n\\end{document}\n`
}

function latexmk(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('latexmk', ['-pdf', '-synctex=1', '-interaction=nonstopmode', '-file-line-error', '-outdir=out', 'paper.tex'], { cwd: dir }, (error) => (error ? reject(error) : resolve()))
  })
}

/** The character edited in run `i`: a letter in the first paragraph flips between two values. */
function edit(doc: TextDoc, i: number): void {
  const at = doc.content.indexOf('Paragraph 0 of section ') + 'Paragraph 0 of section '.length
  spliceText(doc, at, 1, i % 2 === 0 ? '1' : '0')
}

export async function latexRebuild(runs: number): Promise<LatexBenchResult> {
  const key = await generateKeyPair('Ed25519')
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key })
  const index = new ProjectIndex()
  const q = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }) })
  await index.attach(q.repo)
  const blobs = new BlobService({ libp2p: node, store: new BlobStore(new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })), authorize: () => false })
  await blobs.start()
  const id = node.peerId.toString()
  const dataDir = await mkdtemp(join(tmpdir(), 'quire-bench-latex-'))
  const directDir = await mkdtemp(join(tmpdir(), 'quire-bench-latexmk-'))
  let compute: Awaited<ReturnType<typeof startComputeProcess>> | undefined
  try {
    const project = await createProjectWithGrants(q.repo, { name: 'Bench', owner: key, index })
    compute = await startComputeProcess(['--data-dir', dataDir, '--project', `${project.id}@${id}`])
    const grant = await signGrant(key, { project: project.id, subject: compute.info.peerId, role: 'compute' })
    project.grants.change((d) => { appendGrantEntries(d, [grant]) })
    await index.settled()
    await node.dial(multiaddr(compute.info.addresses[0]!))
    const computePeer = peerIdFromString(compute.info.peerId)
    const bib = q.repo.create<TextDoc>(createText(BIB))
    const tex = q.repo.create<TextDoc>(createText(paper()))
    project.project.change((d) => {
      addFile(d, { path: 'refs.bib', kind: 'text', url: bib.url })
      addFile(d, { path: 'paper.tex', kind: 'text', url: tex.url })
    })
    const build = async (handle: DocHandle<TextDoc>, i: number | undefined): Promise<{ ms: number; running: number; inside: number; pages: number }> => {
      const started = wallNow()
      if (i !== undefined) handle.change((d) => edit(d, i))
      const heads = A.getHeads(handle.doc())
      let requestId = ''
      handle.change((d) => { requestId = requestBuild(d, { by: id, heads }) })
      let runningAt = NaN
      const outcome = await new Promise<NonNullable<ReturnType<typeof readLatex>['build']>>((resolve, reject) => {
        const timer = setTimeout(() => { handle.off('change', check); reject(new Error('no build within 120 s')) }, 120_000)
        function check(): void {
          const read = readLatex(handle.doc())
          if (Number.isNaN(runningAt) && read.run?.id === requestId && read.run.status === 'running') runningAt = wallNow()
          const b = read.build
          if (b?.id !== requestId) return
          clearTimeout(timer)
          handle.off('change', check)
          resolve(b)
        }
        handle.on('change', check)
        check()
      })
      if (outcome.status !== 'done' || outcome.pdf === undefined) throw new Error(`the build failed: ${outcome.status} ${outcome.code ?? ""} ${outcome.message ?? ""} ${JSON.stringify(outcome.errors.slice(0, 4))}`)
      await blobs.fetch(computePeer, outcome.pdf.hash)
      const ms = wallNow() - started
      const log = outcome.log === undefined ? '' : Buffer.from(await blobs.fetch(computePeer, outcome.log.hash)).toString('utf8')
      const pages = Number(/Output written on .*?\((\d+) pages?/.exec(log)?.[1] ?? NaN)
      return { ms, running: runningAt - started, inside: outcome.durationMs, pages }
    }
    // Warm up: the first build makes the .aux, .bbl and the workspace's files.
    const first = await build(tex, undefined)
    const document: number[] = []
    const inside: number[] = []
    const running: number[] = []
    for (let i = 0; i < runs; i++) {
      const r = await build(tex, i)
      document.push(r.ms)
      running.push(r.running)
      inside.push(r.inside)
    }
    // The floor: the same files, the same one-character edits, latexmk directly.
    let text = paper()
    await writeFile(join(directDir, 'refs.bib'), BIB)
    await writeFile(join(directDir, 'paper.tex'), text)
    await latexmk(directDir)
    const direct: number[] = []
    for (let i = 0; i < runs; i++) {
      const at = text.indexOf('Paragraph 0 of section ') + 'Paragraph 0 of section '.length
      text = text.slice(0, at) + (i % 2 === 0 ? '1' : '0') + text.slice(at + 1)
      const started = wallNow()
      await writeFile(join(directDir, 'paper.tex'), text)
      await latexmk(directDir)
      direct.push(wallNow() - started)
    }
    return { pages: first.pages, document: spread(document), running: spread(running.filter((n) => !Number.isNaN(n))), inside: spread(inside), direct: spread(direct) }
  } finally {
    await compute?.proc.stop(30_000).catch(() => undefined)
    await blobs.stop().catch(() => undefined)
    index.stop()
    await q.stop()
    await node.stop()
    await rm(dataDir, { recursive: true, force: true })
    await rm(directDir, { recursive: true, force: true })
  }
}
