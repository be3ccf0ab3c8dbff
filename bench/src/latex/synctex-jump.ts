/**
 * SyncTeX jumps in the browser (issue 16): a 100-page article built with `pdflatex -synctex=1`, its
 * `.synctex.gz` loaded into the web app's own SyncTeX worker (the built `web/dist/assets/synctex-worker-*.js`)
 * in headless Chromium, then forward (line to PDF boxes) and inverse (point to line) jumps timed from the
 * page: post to the worker and answer back, which is what a click waits for.
 */
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM, WEB_DIST } from '../browser/browsers.js'
import { summarize, type Summary } from '../lib/stats.js'

export interface SynctexJumpResult {
  readonly pages: number
  readonly records: number
  readonly gzBytes: number
  /** Fetching nothing: posting the bytes, gunzip, parse and index in the worker, to the answer. */
  readonly loadMs: number
  readonly forward: Summary
  readonly inverse: Summary
}

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango'.split(' ')

/** An article of about `pages` pages: sections of paragraphs, one sentence per source line, inline math. */
function article(pages: number): { tex: string; lines: number } {
  const lines = ['\\documentclass{article}', '\\begin{document}']
  for (let n = 0; n < pages * 39; n++) {
    if (n % 300 === 0) lines.push(`\\section{Section ${n / 300 + 1}}`)
    lines.push(`${Array.from({ length: 12 }, (_, i) => WORDS[(n * 7 + i * 3) % WORDS.length]).join(' ')} $x_{${n}}^2$.`)
    if (n % 6 === 5) lines.push('')
  }
  lines.push('\\end{document}', '')
  return { tex: lines.join('\n'), lines: lines.length }
}

export function latexUnavailable(): string | undefined {
  try {
    execFileSync('pdflatex', ['-version'], { stdio: 'ignore', timeout: 20_000 })
    return undefined
  } catch {
    return 'pdflatex is not installed (Debian: texlive-latex-base)'
  }
}

export async function synctexJump(jumps: number, pages = 100): Promise<SynctexJumpResult> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-bench-synctex-'))
  const worker = (await readdir(join(WEB_DIST, 'assets'))).find((f) => /^synctex-worker-.*\.js$/.test(f))
  if (worker === undefined) throw new Error('web/dist has no synctex worker: run `npm run build` first')
  const { tex, lines } = article(pages)
  await writeFile(join(dir, 'main.tex'), tex)
  execFileSync('pdflatex', ['-synctex=1', '-interaction=nonstopmode', 'main.tex'], { cwd: dir, stdio: 'ignore', timeout: 600_000 })
  const gz = await readFile(join(dir, 'main.synctex.gz'))
  const workerCode = await readFile(join(WEB_DIST, 'assets', worker))
  // A worker needs an http origin: a tiny server on loopback for the page, the worker and the file.
  const server = createServer((req, res) => {
    if (req.url === '/worker.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(workerCode)
    else if (req.url === '/main.synctex.gz') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(gz)
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>synctex</title>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${port}/`)
    const result = await page.evaluate(async ({ jumps, lines }) => {
      const worker = new Worker('/worker.js')
      let next = 1
      const ask = (request: unknown): Promise<unknown> => new Promise((resolve, reject) => {
        const id = next++
        const onMessage = (e: MessageEvent): void => {
          const answer = e.data as { id: number; ok: boolean; value?: unknown; error?: { message: string } }
          if (answer.id !== id) return
          worker.removeEventListener('message', onMessage)
          if (answer.ok) resolve(answer.value)
          else reject(new Error(answer.error?.message))
        }
        worker.addEventListener('message', onMessage)
        worker.postMessage({ id, request })
      })
      const bytes = new Uint8Array(await (await fetch('/main.synctex.gz')).arrayBuffer())
      let t = performance.now()
      const loaded = await ask({ type: 'load', bytes, mainPath: 'main.tex', projectPaths: ['main.tex'] }) as { pages: number; records: number }
      const loadMs = performance.now() - t
      const forward: number[] = []
      const inverse: number[] = []
      for (let i = 0; i < jumps; i++) {
        const line = 3 + Math.floor(Math.random() * (lines - 4))
        t = performance.now()
        await ask({ type: 'forward', path: 'main.tex', line })
        forward.push(performance.now() - t)
        const at = { type: 'inverse', page: 1 + Math.floor(Math.random() * loaded.pages), x: 130 + Math.random() * 340, y: 130 + Math.random() * 540 }
        t = performance.now()
        await ask(at)
        inverse.push(performance.now() - t)
      }
      worker.terminate()
      return { pages: loaded.pages, records: loaded.records, loadMs, forward, inverse }
    }, { jumps, lines })
    return {
      pages: result.pages, records: result.records, gzBytes: gz.length, loadMs: result.loadMs,
      forward: summarize(result.forward), inverse: summarize(result.inverse),
    }
  } finally {
    await browser.close().catch(() => undefined)
    await new Promise((resolve) => server.close(resolve))
    await rm(dir, { recursive: true, force: true })
  }
}
