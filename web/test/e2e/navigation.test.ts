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
    const scripts: string[] = []
    a.page.on('request', (r) => { if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname) })
    await a.page.goto(`${relay.httpUrl}/`)
    await a.page.getByTestId('new-project-name').waitFor()
    // The first screen loads without the project view's code (editors, notebooks, KaTeX: issue 18's bundle).
    expect(scripts.some((p) => /ProjectPage/.test(p))).toBe(false)
    // A project needs a name: with none (or only spaces) there is nothing to create (issue 18, item 13).
    for (const empty of ['', '   ']) {
      await a.page.getByTestId('new-project-name').fill(empty)
      expect(await a.page.getByTestId('create-project').isDisabled()).toBe(true)
    }
    await a.page.getByTestId('new-project-name').fill('Walks')
    await a.page.getByTestId('create-project').click()
    await a.page.getByTestId('project-name').filter({ hasText: 'Walks' }).waitFor()
    expect(scripts.some((p) => /ProjectPage/.test(p))).toBe(true)
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

  test('invite links pasted into the same tab: a damaged one says so, a good one after it is read afresh (issue 18, item 2)', async () => {
    const errors = (): string[] => a.logs.filter((l) => l.includes('pageerror'))
    // The project from the test above, with a file open.
    await a.page.getByTestId('file-view').filter({ hasText: 'two.md' }).waitFor()
    await a.page.getByTestId('invite-button').click()
    await a.page.getByTestId('make-invite').click()
    const link = await a.page.getByTestId('invite-link').inputValue()
    await a.page.keyboard.press('Escape')
    const fragment = link.slice(link.indexOf('#'))
    // In-app URL changes: only the fragment changes, so the page is not reloaded.
    await a.page.evaluate((hash) => { location.hash = hash }, fragment.slice(0, fragment.indexOf('=') + 20))
    await a.page.getByTestId('error-note').filter({ hasText: 'damaged' }).waitFor()
    // A member (here the owner) opening an invite to a project they are in lands in that project.
    await a.page.evaluate((hash) => { location.hash = hash }, fragment)
    await a.page.getByTestId('project-name').filter({ hasText: 'Walks' }).waitFor()
    await a.page.getByTestId('file-tree').getByRole('button', { name: 'one.md', exact: true }).waitFor()
    expect(await a.page.getByTestId('error-note').count()).toBe(0)
    expect(errors()).toEqual([])
  }, 60_000)

  test('at 1024 px a notebook\'s toolbar fits on one row, its buttons named by their tooltips (issue 18, item 10)', async () => {
    const tree = a.page.getByTestId('file-tree')
    await tree.getByRole('button', { name: 'New file' }).first().click()
    await tree.locator('input[name="path"]').fill('wide.ipynb')
    await tree.getByRole('button', { name: 'OK' }).click()
    await a.page.locator('.notebook-toolbar').waitFor()
    await a.page.setViewportSize({ width: 1024, height: 768 })
    const tops = await a.page.evaluate(() => [...document.querySelectorAll('.notebook-toolbar > button, .notebook-toolbar > label, .notebook-toolbar > details')]
      .map((el) => Math.round(el.getBoundingClientRect().top)))
    expect(tops.length).toBeGreaterThan(5)
    expect(new Set(tops).size).toBe(1)
    await a.page.getByRole('button', { name: 'Run all' }).waitFor()
    await a.page.setViewportSize({ width: 1280, height: 800 })
  }, 60_000)
})
