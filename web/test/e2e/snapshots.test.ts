// @vitest-environment node
/**
 * Snapshots end to end (issue 17): one relay serving the built app, a real `quire-compute` (sandboxed
 * ipykernel, the workspace on its disk, the snapshot service: the copy driver, or btrfs when its data directory
 * is on BTRFS), two people each in their own Chromium. A cell writes `results.csv`; A takes a named snapshot
 * from the Snapshots panel; the file is deleted and the cell edited; A restores the project from the panel;
 * B's browser sees the file and the cell's text back, as new changes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { computeUnavailable, e2eUnavailable, screenshot, startComputeWorld, type ComputeWorld, type Person, type RelayHandle } from './harness.js'

const unavailable = e2eUnavailable() ?? computeUnavailable()
if (unavailable !== undefined) console.warn(`web snapshots e2e test cannot run here: ${unavailable}`)

const WRITE = "open('results.csv', 'w').write('x,y\\n1,4\\n')"
const REMOVE = "import os; os.remove('results.csv')"

/** The source of each cell as the page shows it. */
function cellSources(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('.cell .cm-content')].map((c) => c.textContent ?? ''))
}

function treeEntry(page: Page, name: string) {
  return page.getByTestId('file-tree').getByRole('button', { name, exact: true })
}

describe.skipIf(unavailable !== undefined)('web app, snapshots of the workspace', () => {
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

  test('[N30] a named snapshot from the panel; the file deleted and the cell edited; restoring the project brings both back for B', async () => {
    await a.page.goto(`${relay.httpUrl}/`)
    await a.page.getByTestId('network-badge').filter({ hasText: 'Online' }).waitFor()
    await a.page.getByTestId('new-project-name').fill('Snap')
    await a.page.getByTestId('create-project').click()
    await a.page.getByTestId('project-name').filter({ hasText: 'Snap' }).waitFor()
    const tree = a.page.getByTestId('file-tree')
    await tree.getByRole('button', { name: 'New file' }).click()
    await tree.locator('input[name="path"]').fill('analysis.ipynb')
    await tree.getByRole('button', { name: 'OK' }).click()
    await treeEntry(a.page, 'analysis.ipynb').click()
    await a.page.locator('.kernel-status').filter({ hasText: 'serves this project' }).waitFor({ timeout: 90_000 })

    // A cell writes results.csv in the workspace; it reaches the tree.
    await a.page.getByRole('button', { name: 'Add a code cell' }).click()
    await a.page.locator('.cell .cm-content').first().click()
    await a.page.keyboard.type(WRITE)
    await a.page.keyboard.press('Shift+Enter')
    await treeEntry(a.page, 'results.csv').waitFor({ timeout: 60_000 })
    await a.page.getByTestId('workspace-status').and(a.page.locator('[data-state="idle"]')).waitFor({ timeout: 60_000 })

    // B joins and opens the notebook.
    await a.page.getByTestId('invite-button').click()
    await a.page.getByTestId('make-invite').click()
    const link = await a.page.getByTestId('invite-link').inputValue()
    await a.page.keyboard.press('Escape')
    await b.page.goto(link)
    await b.page.getByTestId('join-name').fill('Bo')
    await b.page.getByTestId('join-project').click()
    await b.page.getByTestId('project-name').filter({ hasText: 'Snap' }).waitFor({ timeout: 30_000 })
    await treeEntry(b.page, 'results.csv').waitFor({ timeout: 60_000 })
    await treeEntry(b.page, 'analysis.ipynb').click()
    await expect.poll(async () => (await cellSources(b.page))[0] ?? '', { timeout: 30_000 }).toContain("open('results.csv'")

    // A takes a named snapshot from the Snapshots panel.
    await a.page.getByTestId('snapshots-tab').click()
    await a.page.locator('[data-testid="snapshots-panel"][data-state="ok"]').waitFor({ timeout: 60_000 })
    await a.page.getByTestId('snapshots-usage').waitFor()
    await a.page.getByTestId('snapshot-name').fill('before cleanup')
    await a.page.getByTestId('take-snapshot').click()
    const named = a.page.locator('[data-testid="snapshot-item"][data-kind="named"]', { hasText: 'before cleanup' })
    await named.waitFor({ timeout: 60_000 })
    await screenshot(a.page, 'snapshots-a-taken.png')

    // The cell is edited to delete the file, and run: the file leaves both trees.
    await a.page.locator('.cell .cm-content').first().click()
    await a.page.keyboard.press('Control+A')
    await a.page.keyboard.type(REMOVE)
    await a.page.keyboard.press('Shift+Enter')
    for (const p of [a, b]) await treeEntry(p.page, 'results.csv').waitFor({ state: 'detached', timeout: 60_000 })
    await expect.poll(async () => (await cellSources(b.page))[0] ?? '', { timeout: 30_000 }).toContain('os.remove')
    await a.page.getByTestId('workspace-status').and(a.page.locator('[data-state="idle"]')).waitFor({ timeout: 60_000 })

    // The snapshot still has the file: browse it and open it read-only.
    await named.click()
    await a.page.locator('[data-testid="snapshot-entry"][data-name="results.csv"]').click({ timeout: 30_000 })
    await a.page.getByTestId('snapshot-text').filter({ hasText: '1,4' }).waitFor({ timeout: 30_000 })
    // The workspace's temporary folder is no project file (N30).
    expect(await a.page.locator('[data-testid="snapshot-entry"][data-name=".quire-tmp"]').count()).toBe(0)
    await a.page.getByRole('button', { name: 'Close', exact: true }).click()

    // Restore the whole project, after the confirmation that says what happens.
    await a.page.getByTestId('restore-project').click()
    const dialog = a.page.getByTestId('restore-dialog')
    await expect.poll(async () => (await dialog.textContent()) ?? '').toMatch(/first takes a snapshot[\s\S]*new changes that everyone[\s\S]*undone/)
    await a.page.getByTestId('restore-confirm').click()
    await a.page.getByTestId('snapshots-notice').filter({ hasText: 'Restored the project' }).waitFor({ timeout: 90_000 })
    await screenshot(a.page, 'snapshots-a-restored.png')

    // B sees both back: the file in the tree and the cell's text, as new changes.
    await treeEntry(b.page, 'results.csv').waitFor({ timeout: 60_000 })
    await expect.poll(async () => (await cellSources(b.page))[0] ?? '', { timeout: 60_000 }).toContain("open('results.csv'")
    expect((await cellSources(b.page))[0]).not.toContain('os.remove')
    await treeEntry(b.page, 'results.csv').click()
    await b.page.locator('.cm-content').filter({ hasText: '1,4' }).waitFor({ timeout: 30_000 })
    await screenshot(b.page, 'snapshots-b-restored.png')

    // The timeline now also holds the automatic snapshot of the state the restore replaced.
    await a.page.locator('[data-testid="snapshot-item"][data-kind="auto"]', { hasText: 'Before a restore' }).waitFor({ timeout: 30_000 })
  }, 300_000)
})
