// @vitest-environment node
/**
 * A LaTeX paper end to end: one relay serving the built app (its `/quire.json` grants a compute peer the
 * compute role on new projects), a real `quire-compute` building with latexmk and TeX Live, two people each in
 * their own Chromium. A starts a project from the paper template and builds it; B, invited, sees the PDF. A
 * adds an \input file with an undefined control sequence on line 12: both see the rebuilt PDF (B's view where
 * B had scrolled it), the error is
 * listed on that file and line, and the line is marked in the gutter. SyncTeX: forward from a line of the
 * part highlights a box in the PDF, and a double click there puts the cursor back on that line.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { execFileSync } from 'node:child_process'
import type { Locator, Page } from 'playwright-core'
import { computeUnavailable, e2eUnavailable, screenshot, startComputeWorld, type ComputeWorld, type Person, type RelayHandle } from './harness.js'

function latexUnavailable(): string | undefined {
  try {
    execFileSync('latexmk', ['-v'], { stdio: 'ignore', timeout: 20_000 })
    return undefined
  } catch {
    return 'latexmk is not installed (Debian: latexmk texlive-latex-base texlive-latex-recommended; .ci/run installs them)'
  }
}

const unavailable = e2eUnavailable() ?? computeUnavailable() ?? latexUnavailable()
if (unavailable !== undefined) console.warn(`web LaTeX e2e test cannot run here: ${unavailable}`)

/** The part: a page break, one-line paragraphs (so each typeset line is one source line), and line 12's error. */
const PART = [
  '\\clearpage',
  '\\section{The part}',
  '',
  'Paragraph four of the part.',
  '',
  'Paragraph six of the part, on a line of its own.',
  '',
  'Paragraph eight of the part.',
  '',
  'Paragraph ten of the part.',
  '',
  'Here is \\undefinedmacro in a sentence.',
]

async function status(page: Page): Promise<string> {
  return (await page.getByTestId('latex-status').textContent()) ?? ''
}

async function pdfPages(page: Page): Promise<number> {
  return Number(await page.getByTestId('pdf-view').getAttribute('data-pages'))
}

async function drawnCanvases(page: Page): Promise<number> {
  return page.locator('[data-testid="pdf-page"] canvas').count()
}

/** The editor line holding `text` (the first one). */
function editorLine(page: Page, text: string): Locator {
  return page.locator('[data-testid="latex-view"] .cm-line').filter({ hasText: text }).first()
}

/** The text of the line the cursor is on. */
async function cursorLineText(page: Page): Promise<string> {
  return (await page.locator('[data-testid="latex-view"] .cm-activeLine').first().textContent()) ?? ''
}

/** Types lines into the focused editor, one Enter between them (auto-indent does not touch unindented text). */
async function typeLines(page: Page, lines: readonly string[]): Promise<void> {
  for (const [i, line] of lines.entries()) {
    if (line !== '') await page.keyboard.type(line)
    if (i < lines.length - 1) await page.keyboard.press('Enter')
  }
}

describe.skipIf(unavailable !== undefined)('web app, a LaTeX paper built by the compute peer', () => {
  let relay: RelayHandle
  let a: Person
  let b: Person
  let world: ComputeWorld

  beforeAll(async () => {
    world = await startComputeWorld()
    ;({ relay, a, b } = world)
  })

  afterAll(async () => {
    await world?.close()
  })

  test('A builds the paper, B sees it; an error in an \\input file is marked on its line; SyncTeX both ways', async () => {
    await a.page.goto(`${relay.httpUrl}/`)
    await a.page.getByTestId('network-badge').filter({ hasText: 'Online' }).waitFor()
    await a.page.getByTestId('new-project-name').fill('Paper')
    await a.page.getByTestId('new-project-template').selectOption('paper')
    await a.page.getByTestId('create-project').click()
    await a.page.getByTestId('project-name').filter({ hasText: 'Paper' }).waitFor()
    // The template's main.tex opens as a LaTeX document.
    await a.page.getByTestId('latex-view').waitFor({ timeout: 30_000 })
    await a.page.getByTestId('latex-build').click()
    // The app asks the compute peer to serve the new project (every 5 s until it does); the build runs then.
    await expect.poll(() => status(a.page), { timeout: 150_000 }).toMatch(/Built in/)
    await expect.poll(() => pdfPages(a.page), { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
    await expect.poll(() => drawnCanvases(a.page), { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
    const firstPages = await pdfPages(a.page)
    await screenshot(a.page, 'latex-a-built.png')

    await a.page.getByTestId('invite-button').click()
    await a.page.getByTestId('make-invite').click()
    const link = await a.page.getByTestId('invite-link').inputValue()
    await a.page.keyboard.press('Escape')
    await b.page.goto(link)
    await b.page.getByTestId('join-name').fill('Bo')
    await b.page.getByTestId('join-project').click()
    await b.page.getByTestId('project-name').filter({ hasText: 'Paper' }).waitFor({ timeout: 30_000 })
    await b.page.getByTestId('file-tree').getByRole('button', { name: 'main.tex', exact: true }).click({ timeout: 60_000 })
    await b.page.getByTestId('latex-view').waitFor({ timeout: 30_000 })
    await expect.poll(() => pdfPages(b.page), { timeout: 60_000 }).toBe(firstPages)
    await expect.poll(() => drawnCanvases(b.page), { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
    await screenshot(b.page, 'latex-b-sees-pdf.png')
    // B zooms in and scrolls down the page: the rebuild below must leave B where B was.
    for (let i = 0; i < 5; i++) await b.page.getByRole('button', { name: 'Zoom in' }).click()
    const scroller = b.page.locator('[data-testid="pdf-view"] .scroller')
    await expect.poll(() => scroller.evaluate((el) => el.scrollHeight - el.clientHeight), { timeout: 10_000 }).toBeGreaterThan(120)
    const scrolledTo = await scroller.evaluate((el) => { el.scrollTop = 100; return el.scrollTop })

    // A writes the part (it opens beside main.tex's PDF), then includes it in main.tex on line 11.
    const tree = a.page.getByTestId('file-tree')
    await tree.getByRole('button', { name: 'New file' }).click()
    await tree.locator('input[name="path"]').fill('sections/part.tex')
    await tree.getByRole('button', { name: 'OK' }).click()
    await a.page.getByTestId('latex-main').filter({ hasText: 'main.tex' }).waitFor({ timeout: 30_000 })
    await a.page.locator('[data-testid="latex-view"] .cm-content').click()
    await typeLines(a.page, PART)
    await tree.getByRole('button', { name: 'main.tex', exact: true }).click()
    // Lines wrap in the LaTeX editor, so the cursor is put on a line by clicking it, not by arrow keys.
    await editorLine(a.page, '\\maketitle').click()
    await a.page.keyboard.press('End')
    await a.page.keyboard.press('Enter')
    await a.page.keyboard.type('\\input{sections/part}')
    await a.page.getByTestId('latex-build').click()

    // Both see the rebuilt PDF (the part starts a new page), and the error on line 12 of the part.
    for (const p of [a, b]) {
      await expect.poll(() => status(p.page), { timeout: 120_000 }).toMatch(/Failed: 1 error/).catch(async (err: unknown) => {
        await screenshot(p.page, `latex-${p.name}-failed.png`)
        console.log(`${p.name} diagnostics:`, await p.page.getByTestId('latex-diagnostic').allTextContents())
        throw err
      })
      await expect.poll(() => pdfPages(p.page), { timeout: 60_000 }).toBeGreaterThan(firstPages)
    }
    // B's view kept its scroll offset across the rebuild (the document was replaced in place).
    expect(Math.abs((await scroller.evaluate((el) => el.scrollTop)) - scrolledTo)).toBeLessThanOrEqual(2)
    const diagnostic = a.page.getByTestId('latex-diagnostic').filter({ hasText: 'sections/part.tex:12' })
    await expect.poll(async () => (await diagnostic.textContent()) ?? '', { timeout: 10_000 }).toMatch(/Undefined control sequence/i)
    await screenshot(b.page, 'latex-b-rebuilt.png')

    // A click on the error opens the part with the cursor on line 12, marked in the gutter.
    await diagnostic.click()
    await a.page.getByTestId('latex-main').waitFor({ timeout: 20_000 })
    await expect.poll(() => cursorLineText(a.page), { timeout: 20_000 }).toContain('\\undefinedmacro')
    const marked = a.page.locator('[data-testid="latex-view"] .cm-line').filter({ has: a.page.locator('.cm-lintRange-error') })
    await expect.poll(async () => (await marked.allTextContents()).join('\n'), { timeout: 20_000 }).toContain('\\undefinedmacro')
    expect(await a.page.locator('[data-testid="latex-view"] .cm-gutter-lint .cm-lint-marker-error').count()).toBe(1)
    await screenshot(a.page, 'latex-a-error-marked.png')

    // SyncTeX forward: line 6 of the part is highlighted on the part's page.
    await editorLine(a.page, 'Paragraph six').click()
    expect(await cursorLineText(a.page)).toContain('Paragraph six')
    await a.page.getByTestId('synctex-forward').click()
    const highlight = a.page.getByTestId('synctex-highlight').first()
    await highlight.waitFor({ timeout: 20_000 })
    const onPage = await highlight.evaluate((el) => Number((el.closest('[data-testid="pdf-page"]') as HTMLElement).dataset['page']))
    expect(onPage).toBeGreaterThan(1)
    await screenshot(a.page, 'latex-a-forward.png')

    // Inverse: the cursor goes elsewhere, then a double click on the highlighted text brings it back to line 6.
    await editorLine(a.page, 'clearpage').click()
    expect(await cursorLineText(a.page)).toContain('clearpage')
    const box = (await highlight.boundingBox())!
    await a.page.mouse.dblclick(box.x + box.width / 3, box.y + box.height / 2)
    await expect.poll(() => cursorLineText(a.page), { timeout: 20_000 }).toContain('Paragraph six')
  }, 420_000)
})
