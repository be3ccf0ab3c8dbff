// @vitest-environment node
/**
 * Moving around with a file open (issue: leaving an open file broke the app until a reload): the
 * "Projects" breadcrumb, the browser's Back and Forward, and opening another file, in one Chromium against
 * a relay serving the built app. No page error may happen, and every page must show its content.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { e2eUnavailable, freePort, launchPerson, screenshot, startHostingRelay, workDir, type Person, type RelayHandle } from './harness.js'

const unavailable = e2eUnavailable()
if (unavailable !== undefined) console.warn(`web navigation e2e test cannot run here: ${unavailable}`)

describe.skipIf(unavailable !== undefined)('web app, navigating away from an open file', () => {
  let dir: string
  let relay: RelayHandle
  let a: Person

  beforeAll(async () => {
    dir = await workDir()
    relay = await startHostingRelay(join(dir, 'relay'), { tcp: await freePort(), ws: await freePort() })
    a = await launchPerson('a', relay.httpUrl)
  })

  afterAll(async () => {
    if (a) console.log(a.logs.filter((l) => /error/i.test(l)).slice(0, 20).join('\n'))
    await a?.close()
    await relay?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('breadcrumb, Back, Forward and another file: no page error, every page shows its content', async () => {
    const errors = (): string[] => a.logs.filter((l) => l.includes('pageerror'))
    await a.page.goto(`${relay.httpUrl}/`)
    await a.page.getByTestId('new-project-name').fill('Walks')
    await a.page.getByTestId('create-project').click()
    await a.page.getByTestId('project-name').filter({ hasText: 'Walks' }).waitFor()
    const tree = a.page.getByTestId('file-tree')
    for (const name of ['one.md', 'two.md']) {
      await tree.getByRole('button', { name: 'New file' }).first().click()
      await tree.locator('input[name="path"]').fill(name)
      await tree.getByRole('button', { name: 'OK' }).click()
      await a.page.getByTestId('file-view').filter({ hasText: name }).waitFor()
    }
    await tree.getByRole('button', { name: 'one.md', exact: true }).click()
    await a.page.locator('.cm-content').click()
    await a.page.keyboard.type('first file')

    // Away by the breadcrumb, with a file open.
    await a.page.getByRole('link', { name: 'Projects' }).click()
    await a.page.getByTestId('new-project-name').waitFor()
    await a.page.getByText('Walks').first().waitFor()
    // Back into the project and its open file, then Back again and Forward.
    await a.page.goBack()
    await a.page.getByTestId('file-view').filter({ hasText: 'one.md' }).waitFor().catch(async (err: unknown) => {
      await screenshot(a.page, 'navigation-back.png')
      throw err
    })
    await a.page.locator('.cm-content').filter({ hasText: 'first file' }).waitFor()
    await a.page.goBack()
    await a.page.getByTestId('file-view').filter({ hasText: 'two.md' }).waitFor()
    await a.page.goForward()
    await a.page.getByTestId('file-view').filter({ hasText: 'one.md' }).waitFor()
    // Files still open from the tree afterwards.
    await tree.getByRole('button', { name: 'two.md', exact: true }).click()
    await a.page.getByTestId('file-view').filter({ hasText: 'two.md' }).waitFor()
    await a.page.locator('.cm-content').click()
    await a.page.keyboard.type('second file')
    await a.page.locator('.cm-content').filter({ hasText: 'second file' }).waitFor()
    expect(errors()).toEqual([])
  }, 120_000)
})
