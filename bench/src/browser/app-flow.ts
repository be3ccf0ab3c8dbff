/**
 * Driving the web app as two people do: A creates a project and a text file and invites B; B joins by the
 * link and opens the file. The steps and test ids are the e2e test's (web/test/e2e/collaboration.test.ts).
 * Also how a page's node is connected to another peer, read from the `window.quire` the app exposes.
 */
import type { Page } from 'playwright-core'
import type { Person } from './browsers.js'

/** Sets up the shared file and leaves both editors open and writable; returns the peer ids. */
export async function shareFile(a: Person, b: Person, appUrl: string, path: string): Promise<{ aId: string; bId: string }> {
  await a.page.goto(appUrl)
  await a.page.getByTestId('network-badge').filter({ hasText: 'Online' }).waitFor({ timeout: 60_000 })
  await a.page.getByTestId('new-project-name').fill('Bench')
  await a.page.getByTestId('create-project').click()
  await a.page.getByTestId('project-name').filter({ hasText: 'Bench' }).waitFor({ timeout: 30_000 })
  const tree = a.page.getByTestId('file-tree')
  await tree.getByRole('button', { name: 'New file' }).click()
  await tree.locator('input[name="path"]').fill(path)
  await tree.getByRole('button', { name: 'OK' }).click()
  await tree.getByRole('button', { name: path, exact: true }).click()
  await a.page.locator('.cm-content[contenteditable="true"]').waitFor({ timeout: 30_000 })

  await a.page.getByTestId('invite-button').click()
  await a.page.getByTestId('make-invite').click()
  const link = await a.page.getByTestId('invite-link').inputValue()
  await a.page.keyboard.press('Escape')

  await b.page.goto(link)
  await b.page.getByTestId('join-name').fill('B')
  await b.page.getByTestId('join-project').click()
  await b.page.getByTestId('project-name').filter({ hasText: 'Bench' }).waitFor({ timeout: 60_000 })
  await b.page.getByTestId('file-tree').getByRole('button', { name: path, exact: true }).click()
  // The editor turns writable once B's copy of the grants says B is a writer: B holds the document.
  await b.page.locator('.cm-content[contenteditable="true"]').waitFor({ timeout: 60_000 })
  return { aId: await peerIdOf(a.page), bId: await peerIdOf(b.page) }
}

interface QuireWindow {
  quire: {
    session: { peerId: string; relayPeerIds: string[]; node: { getConnections(): Array<{ remotePeer: { toString(): string }; close(o?: { signal?: AbortSignal }): Promise<void>; abort(err: Error): void }> } }
    connections: { link(id: string): { kinds: Iterable<string>; addrs: Iterable<string> } | undefined }
    connector: { start(): void; stop(): void; retryNow(): void }
  }
}

export function peerIdOf(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as QuireWindow).quire.session.peerId)
}

/** Kinds (`webrtc`, `direct`, `relayed`) and addresses of this page's open connections to `peerId`. */
export function linkTo(page: Page, peerId: string): Promise<{ kinds: string[]; addrs: string[] } | undefined> {
  return page.evaluate((id) => {
    const l = (window as unknown as QuireWindow).quire.connections.link(id)
    return l === undefined ? undefined : { kinds: [...l.kinds], addrs: [...l.addrs] }
  }, peerId)
}

/**
 * Leaves this page connected to the relays only: stops the app's peer connector (which keeps WebRTC links
 * to the other members) and closes every connection to `peerId`.
 */
export async function relayOnly(page: Page, peerId: string): Promise<void> {
  await page.evaluate(async (id) => {
    const q = (window as unknown as QuireWindow).quire
    q.connector.stop()
    // A graceful close of a WebRTC connection can hang on its streams: abort what has not closed in 2 s.
    await Promise.all(q.session.node.getConnections().filter((c) => c.remotePeer.toString() === id)
      .map((c) => c.close({ signal: AbortSignal.timeout(2_000) }).catch((err: Error) => c.abort(err))))
  }, peerId)
}

/** Undoes {@link relayOnly}: the app's peer connector runs again and dials the other members now. */
export async function directAgain(page: Page): Promise<void> {
  await page.evaluate(() => {
    const q = (window as unknown as QuireWindow).quire
    q.connector.start()
    q.connector.retryNow()
  })
}

export function relayIdsOf(page: Page): Promise<string[]> {
  return page.evaluate(() => [...(window as unknown as QuireWindow).quire.session.relayPeerIds])
}
