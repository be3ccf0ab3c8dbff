/**
 * The end-to-end check of `npm start`: the launcher (as `npm start` runs it, in a temporary data
 * directory on free ports), Chromium on the printed URL: create a project, edit a file, run a Python cell;
 * Ctrl-C stops every child and keeps the data; a second start shows the same project.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMPUTE_CLI, freeBasePort, isAlive, killMentioning, Launcher, processesMentioning, QUIRE_CLI, ROOT, waitUntil } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(ROOT, 'test-artifacts', 'bootstrap')
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--allow-loopback-in-peer-connection',
]

function unavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: apt-get install chromium`
  if (!existsSync(join(ROOT, 'web', 'dist', 'index.html'))) return 'web/dist is not built: run `npm run build`'
  if (!existsSync(COMPUTE_CLI)) return 'compute-peer/dist is not built: run `npm run build`'
  return undefined
}
const why = unavailable()
if (why !== undefined) console.warn(`local network browser test cannot run here: ${why}`)

/** The editor's text as CodeMirror shows it. */
function editorText(page: Page): Promise<string> {
  return page.evaluate(() => Array.from(document.querySelectorAll('.cm-content .cm-line'), (l) => l.textContent ?? '').join('\n'))
}

describe.skipIf(why !== undefined)('npm start in a browser', () => {
  let dir: string
  let port: number
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const launchers: Launcher[] = []
  const logs: string[] = []

  const start = async (): Promise<{ launcher: Launcher; url: string }> => {
    // A launcher left running by a failed step would hold the data directory.
    for (const l of launchers) if (l.proc.exitCode === null) { l.kill(); await l.exited }
    const launcher = new Launcher(process.execPath, [QUIRE_CLI, 'up', '--port', String(port), '--data-dir', join(dir, 'data')], dir)
    launchers.push(launcher)
    const url = (await launcher.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!
    await launcher.waitFor(/Press Ctrl-C to stop\./)
    return { launcher, url }
  }

  const stop = async (launcher: Launcher): Promise<void> => {
    const pids = launcher.bannerPids()
    expect(pids).toHaveLength(2) // relay and compute peer
    launcher.interrupt()
    expect(await launcher.exited).toBe(0)
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
    // Kernels and anything else the daemons started are gone too.
    await waitUntil(() => processesMentioning(dir).length === 0, 5000, 'every process of the local network to be gone')
    expect(existsSync(join(dir, 'data', 'relay', 'identity.key'))).toBe(true)
    expect(existsSync(join(dir, 'data', 'relay', 'db'))).toBe(true)
    expect(existsSync(join(dir, 'data', 'compute', 'identity.key'))).toBe(true)
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quire-npm-start-'))
    port = await freeBasePort()
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
  })

  afterAll(async () => {
    // What the daemons said, to read when a step failed.
    await mkdir(ARTIFACTS, { recursive: true })
    writeFileSync(join(ARTIFACTS, 'local-network-output.txt'), launchers.map((l) => l.output).join('\n----\n'))
    if (logs.length > 0) console.log(logs.filter((l) => /error/i.test(l) && !/WebSocket connection to/.test(l)).slice(0, 30).join('\n'))
    await browser?.close().catch(() => undefined)
    for (const l of launchers) l.kill()
    if (dir !== undefined) {
      killMentioning(dir)
      rmSync(dir, { recursive: true, force: true })
    }
  })

  let projectUrl: string

  it('opens the printed URL, creates a project, edits a file, runs a Python cell; Ctrl-C stops everything', async () => {
    const { launcher, url } = await start()
    // One context for the whole test: the browser's identity and replicas (IndexedDB) survive the restart.
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    await context.grantPermissions(['camera', 'microphone'], { origin: url.replace(/\/$/, '') })
    page = await context.newPage()
    page.on('console', (m) => { logs.push(`console ${m.type()}: ${m.text()}`) })
    page.on('pageerror', (e) => { logs.push(`pageerror: ${e.message}`) })

    await page.goto(url)
    await page.getByTestId('network-badge').filter({ hasText: 'Online' }).waitFor({ timeout: 30_000 })
    await page.getByTestId('new-project-name').fill('Local paper')
    await page.getByTestId('create-project').click()
    await page.getByTestId('project-name').filter({ hasText: 'Local paper' }).waitFor()
    projectUrl = page.url()

    await newFile(page, 'notes.md')
    await page.locator('.cm-content[contenteditable="true"]').waitFor({ timeout: 20_000 })
    await page.locator('.cm-content').click()
    await page.keyboard.type('Written on the local network.')
    await expect.poll(() => editorText(page), { timeout: 10_000 }).toContain('Written on the local network.')

    await runPythonCell(page)
    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'local-network.png') })
    // The relay keeps a replica: what was made in the browser reached its disk.
    await expect.poll(async () => ((await (await fetch(new URL('/healthz', url))).json()) as { documentsHosted: number }).documentsHosted, { timeout: 20_000 }).toBeGreaterThanOrEqual(2)

    await stop(launcher)
  }, 240_000)

  it('a second start shows the same project, file and notebook, and runs cells again', async () => {
    const { launcher, url } = await start()
    await page.goto(url)
    await page.getByTestId('project-list').getByText('Local paper').waitFor({ timeout: 30_000 })
    await page.goto(projectUrl)
    await page.getByTestId('project-name').filter({ hasText: 'Local paper' }).waitFor({ timeout: 30_000 })
    await page.getByTestId('file-tree').getByText('notes.md').click()
    await expect.poll(() => editorText(page), { timeout: 20_000 }).toContain('Written on the local network.')
    // The notebook kept its output, and the restarted compute peer (same identity, same grants) runs cells.
    await page.getByTestId('file-tree').getByText('analysis.ipynb').click()
    await page.getByText('42', { exact: true }).first().waitFor({ timeout: 30_000 })
    await page.getByRole('button', { name: 'Insert a code cell' }).click()
    const cell = page.locator('.cm-content[contenteditable="true"]').last()
    await cell.click()
    await page.keyboard.type('print(6 * 7 + 1)')
    await page.keyboard.press('Shift+Enter')
    await page.getByText('43', { exact: true }).first().waitFor({ timeout: 90_000 })
    // The relay loaded what it stored before the restart.
    const health = await (await fetch(new URL('/healthz', url))).json() as { documentsHosted: number }
    expect(health.documentsHosted).toBeGreaterThanOrEqual(2)
    await stop(launcher)
  }, 240_000)
})

/** Creates a file (a notebook for .ipynb) with the file tree's New file button, and opens it. */
async function newFile(page: Page, path: string): Promise<void> {
  await page.getByTestId('file-tree').getByRole('button', { name: 'New file' }).click()
  await page.getByTestId('file-tree').locator('input[name="path"]').fill(path)
  await page.getByTestId('file-tree').getByRole('button', { name: 'OK' }).click()
  await page.getByTestId('file-tree').getByText(path).first().click()
}

/** Creates a notebook, runs `print(6 * 7)` on the local compute peer, and waits for the output. */
async function runPythonCell(page: Page): Promise<void> {
  await newFile(page, 'analysis.ipynb')
  await page.getByRole('button', { name: 'Insert a code cell' }).click()
  const cell = page.locator('.cm-content[contenteditable="true"]').first()
  await cell.waitFor({ timeout: 20_000 })
  await cell.click()
  await page.keyboard.type('print(6 * 7)')
  await page.keyboard.press('Shift+Enter')
  try {
    await page.getByText('42', { exact: true }).first().waitFor({ timeout: 90_000 })
  } finally {
    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'local-network-notebook.png') })
  }
}
