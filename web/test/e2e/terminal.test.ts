// @vitest-environment node
/**
 * A shared terminal end to end: one relay serving the built app (its `/quire.json` grants a compute peer the
 * compute role on new projects), a real `quire-compute` (sandboxed bash on node-pty), two people each in their
 * own Chromium. A opens a terminal and runs a command; B, invited, attaches and sees the same screen, and the
 * file the command wrote appears in B's file tree (the workspace).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import type { PeerProcess } from '@quire/node/testing'
import { computeUnavailable, e2eUnavailable, screenshot, startComputeWorld, type ComputeWorld, type Person, type RelayHandle } from './harness.js'

const unavailable = e2eUnavailable() ?? computeUnavailable()
if (unavailable !== undefined) console.warn(`web terminal e2e test cannot run here: ${unavailable}`)

/** The terminal's rows as xterm.js's DOM renderer shows them. */
function screenText(page: Page): Promise<string> {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="terminal-screen"] .xterm-rows > div')].map((d) => d.textContent ?? '').join('\n'))
}

describe.skipIf(unavailable !== undefined)('web app, a shared terminal', () => {
  let relay: RelayHandle
  let compute: PeerProcess
  let a: Person
  let b: Person
  let world: ComputeWorld

  beforeAll(async () => {
    world = await startComputeWorld()
    ;({ relay, compute, a, b } = world)
  })

  afterAll(async () => {
    await world?.close()
  })

  test('[T1] [T9] A opens a terminal and runs a command; B attaches, sees the same screen, and the file in the tree', async () => {
    await a.page.goto(`${relay.httpUrl}/`)
    await a.page.getByTestId('network-badge').filter({ hasText: 'Online' }).waitFor()
    await a.page.getByTestId('new-project-name').fill('Shell')
    await a.page.getByTestId('create-project').click()
    await a.page.getByTestId('project-name').filter({ hasText: 'Shell' }).waitFor()
    // The app asks the compute peer to serve the new project (every 5 s until it does); the list says when.
    await a.page.locator('[data-testid="terminal-list"][data-state="ok"]').waitFor({ timeout: 90_000 })
    await a.page.getByTestId('new-terminal').click()
    await a.page.locator('[data-testid="terminal-view"][data-phase="attached"]').waitFor({ timeout: 30_000 })
    await a.page.getByTestId('terminal-screen').click()
    await a.page.keyboard.type('echo hello > f.txt && ls && echo $((6*7))-done')
    await a.page.keyboard.press('Enter')
    await expect.poll(() => screenText(a.page), { timeout: 30_000 }).toMatch(/f\.txt[\s\S]*42-done/)
    await screenshot(a.page, 'terminal-a.png')

    await a.page.getByTestId('invite-button').click()
    await a.page.getByTestId('make-invite').click()
    const link = await a.page.getByTestId('invite-link').inputValue()
    await a.page.keyboard.press('Escape')
    await b.page.goto(link)
    await b.page.getByTestId('join-name').fill('Bo')
    await b.page.getByTestId('join-project').click()
    await b.page.getByTestId('project-name').filter({ hasText: 'Shell' }).waitFor({ timeout: 30_000 })
    await b.page.getByTestId('terminal-item').first().click({ timeout: 60_000 })
    await b.page.locator('[data-testid="terminal-view"][data-phase="attached"]').waitFor({ timeout: 30_000 })
    await expect.poll(() => screenText(b.page), { timeout: 30_000 }).toMatch(/f\.txt[\s\S]*42-done/)
    // Both attached, and each page says so.
    await expect.poll(async () => (await a.page.getByTestId('terminal-viewers').textContent()) ?? '', { timeout: 20_000 }).toContain('Bo')
    await b.page.getByTestId('file-tree').getByRole('button', { name: 'f.txt', exact: true }).waitFor({ timeout: 60_000 })
    // B types too, once the compute peer has B's writer grant (the viewers list stops marking B as watching).
    await expect.poll(async () => (await a.page.getByTestId('terminal-viewers').textContent()) ?? '', { timeout: 60_000 }).toMatch(/Bo(?! 👁)/)
    // ... and B's own copy of the grants says so too: B's page offers what only writers get.
    await b.page.getByTestId('terminal-close').waitFor({ timeout: 60_000 })
    await b.page.getByTestId('terminal-screen').click()
    await b.page.keyboard.type('echo from-bo')
    await b.page.keyboard.press('Enter')
    await expect.poll(() => screenText(a.page), { timeout: 30_000 }).toMatch(/\nfrom-bo/).catch(async (err: unknown) => {
      await screenshot(b.page, 'terminal-b-failed.png')
      console.log('B screen:', await screenText(b.page))
      throw err
    })
    await screenshot(b.page, 'terminal-b.png')
  }, 240_000)
})
