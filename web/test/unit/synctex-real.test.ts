// @vitest-environment node
/**
 * The SyncTeX reader against TeX Live itself: a three-page article with an \input file is built with
 * `pdflatex -synctex=1`, and forward and inverse searches are compared with what the `synctex` command says
 * for the same lines and points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { SynctexService, type SyncRect } from '../../src/lib/latex/synctex/index.js'

function which(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, command))) return join(dir, command)
  }
  return undefined
}

const missing = ['pdflatex', 'synctex'].filter((c) => which(c) === undefined)
const unavailable = missing.length > 0
  ? `${missing.join(' and ')} not on PATH: install TeX Live (Debian: latexmk texlive-latex-base texlive-latex-recommended; .ci/run does)`
  : undefined
if (unavailable !== undefined) console.warn(`SyncTeX real-build test skipped: ${unavailable}`)

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango'.split(' ')

/** A sentence of ten words that differs by n, so every source line is its own text. */
function sentence(n: number): string {
  const words = Array.from({ length: 10 }, (_, i) => WORDS[(n * 7 + i * 3) % WORDS.length]!)
  return `${words[0]!.charAt(0).toUpperCase()}${words.join(' ').slice(1)} number ${n}.`
}

/** main.tex: a title, sections of paragraphs (one sentence per source line), an \input file, inline math. */
function mainTex(): string {
  const lines = ['\\documentclass{article}', '\\begin{document}', '\\section{Introduction}']
  let n = 0
  for (let section = 0; section < 3; section++) {
    if (section > 0) lines.push(`\\section{Part ${section}}`)
    for (let paragraph = 0; paragraph < 6; paragraph++) {
      for (let s = 0; s < 5; s++) lines.push(sentence(n++))
      lines.push('')
    }
    if (section === 1) lines.push('\\input{sections/part}', '')
  }
  lines.push('\\end{document}', '')
  return lines.join('\n')
}

function partTex(): string {
  const lines = ['% an \\input file', '\\subsection{Inside the input}']
  for (let s = 0; s < 6; s++) lines.push(`${sentence(100 + s)} With $x^${s} + y = ${s}$ inline.`)
  lines.push('')
  return lines.join('\n')
}

interface ViewBox { page: number; h: number; v: number; W: number; H: number; x: number; y: number }

/** `synctex view` results: the boxes TeX Live's own tool gives for a line. */
function synctexView(dir: string, file: string, line: number): ViewBox[] {
  const out = execFileSync('synctex', ['view', '-i', `${line}:0:${file}`, '-o', 'main.pdf'], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
  const boxes: ViewBox[] = []
  let current: Partial<ViewBox> | undefined
  for (const row of out.split('\n')) {
    const [key, value] = [row.slice(0, row.indexOf(':')), row.slice(row.indexOf(':') + 1)]
    if (key === 'Page') {
      if (current) boxes.push(current as ViewBox)
      current = { page: Number(value) }
    } else if (current && ['h', 'v', 'W', 'H', 'x', 'y'].includes(key)) {
      (current as Record<string, number>)[key] = Number(value)
    }
  }
  if (current) boxes.push(current as ViewBox)
  return boxes
}

/** `synctex edit` results: the input and line for a point. */
function synctexEdit(dir: string, page: number, x: number, y: number): Array<{ input: string; line: number }> {
  const out = execFileSync('synctex', ['edit', '-o', `${page}:${x.toFixed(2)}:${y.toFixed(2)}:main.pdf`], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
  const found: Array<{ input: string; line: number }> = []
  let input = ''
  for (const row of out.split('\n')) {
    if (row.startsWith('Input:')) input = row.slice(6)
    if (row.startsWith('Line:')) found.push({ input, line: Number(row.slice(5)) })
  }
  return found
}

function overlaps(rect: SyncRect, box: ViewBox): boolean {
  const slack = 1
  return rect.page === box.page && rect.x <= box.h + box.W + slack && box.h <= rect.x + rect.width + slack &&
    rect.y <= box.v + slack && box.v - box.H <= rect.y + rect.height + slack
}

describe.skipIf(unavailable !== undefined)('SyncTeX against TeX Live (pdflatex -synctex=1, the synctex command)', () => {
  let dir: string
  const service = new SynctexService()
  const main = mainTex()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quire-synctex-'))
    await mkdir(join(dir, 'sections'))
    await writeFile(join(dir, 'main.tex'), main)
    await writeFile(join(dir, 'sections', 'part.tex'), partTex())
    execFileSync('pdflatex', ['-synctex=1', '-interaction=nonstopmode', '-halt-on-error', 'main.tex'], { cwd: dir, timeout: 120_000, stdio: 'ignore' })
    const loaded = service.load({ bytes: await readFile(join(dir, 'main.synctex.gz')), mainPath: 'paper/main.tex', projectPaths: ['paper/main.tex', 'paper/sections/part.tex', 'notes.md'] })
    expect(loaded.pages).toBeGreaterThanOrEqual(3)
    expect(loaded.sources).toEqual(['paper/main.tex', 'paper/sections/part.tex'])
  }, 180_000)

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  /** Source lines of main.tex that hold a sentence (1-based), spread over the document. */
  const sentenceLines = (): number[] => main.split('\n').flatMap((text, i) => (/ number \d+\.$/.test(text) ? [i + 1] : [])).filter((_, i) => i % 7 === 0)

  it('forward search lands on the page and box synctex view gives, for lines on every page and in the \\input file', () => {
    const cases: Array<[string, string, number]> = [
      ...sentenceLines().map((line): [string, string, number] => ['main.tex', 'paper/main.tex', line]),
      ['sections/part.tex', 'paper/sections/part.tex', 3], ['sections/part.tex', 'paper/sections/part.tex', 6],
    ]
    const pages = new Set<number>()
    for (const [texName, projectPath, line] of cases) {
      const theirs = synctexView(dir, texName, line)
      expect(theirs.length, `synctex view ${texName}:${line}`).toBeGreaterThan(0)
      const ours = service.forward(projectPath, line)
      expect(ours.line, `${texName}:${line}`).toBe(line)
      expect(ours.rects[0]?.page, `${texName}:${line} page`).toBe(theirs[0]!.page)
      // Every box synctex names is one of ours (or overlaps it), and our first box is on its first box's line.
      for (const box of theirs) expect(ours.rects.some((r) => overlaps(r, box)), `${texName}:${line} box ${JSON.stringify(box)} in ${JSON.stringify(ours.rects)}`).toBe(true)
      pages.add(theirs[0]!.page)
    }
    expect(pages.size).toBeGreaterThanOrEqual(3)
  })

  it('inverse search gives the line synctex edit gives, for points on words across the pages', () => {
    let compared = 0
    for (const line of sentenceLines()) {
      for (const box of synctexView(dir, 'main.tex', line)) {
        // Points along the typeset line: near its start, its middle, and near its end.
        for (const fraction of [0.1, 0.5, 0.9]) {
          const x = box.h + box.W * fraction
          const y = box.v - box.H / 2
          const theirs = synctexEdit(dir, box.page, x, y)
          if (theirs.length === 0) continue
          const ours = service.inverse(box.page, x, y)
          expect(ours, `point ${box.page}:${x}:${y}`).toBeDefined()
          expect(theirs.map((t) => t.line), `point ${box.page}:${x.toFixed(1)}:${y.toFixed(1)} (ours ${ours!.line})`).toContain(ours!.line)
          expect(ours!.path).toBe('paper/main.tex')
          compared++
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(20)
  })

  it('inverse search in the \\input file names that file', () => {
    const [box] = synctexView(dir, 'sections/part.tex', 4)
    expect(box).toBeDefined()
    const x = box!.h + box!.W * 0.3
    const y = box!.v - box!.H / 2
    const theirs = synctexEdit(dir, box!.page, x, y)
    const ours = service.inverse(box!.page, x, y)
    expect(ours?.path).toBe('paper/sections/part.tex')
    expect(theirs.map((t) => t.line)).toContain(ours!.line)
  })
})
