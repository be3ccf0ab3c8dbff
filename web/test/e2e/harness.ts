/**
 * End-to-end harness: a real relay process serving the built app (web/dist), and real Chromium browsers,
 * each its own process with its own profile directory, driven by playwright-core. Everything on 127.0.0.1.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { freePort, startProcess, type PeerProcess } from '@quire/node/testing'
export { freePort }

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const WEB_DIST = join(root, 'web', 'dist')
/** The relay daemon as a process (web may not import @quire/relay, so it is started by path). */
const RELAY_CLI = join(root, 'relay', 'dist', 'cli.js')
/** The compute daemon as a process (web may not import @quire/compute-peer either). */
const COMPUTE_CLI = join(root, 'compute-peer', 'dist', 'cli.js')
export const ARTIFACTS = join(root, 'test-artifacts', 'web')
export const CHROMIUM = '/usr/bin/chromium'

/** Why the e2e tests cannot run here, or undefined when they can. */
export function e2eUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: install Debian's chromium package`
  if (!existsSync(join(WEB_DIST, 'index.html'))) return 'web/dist is not built: run `npm run build` first'
  if (!existsSync(RELAY_CLI)) return 'relay/dist is not built: run `npm run build` first'
  return undefined
}


export interface RelayHandle {
  proc: PeerProcess
  peerId: string
  /** The WebSocket multiaddr with /p2p/, as a browser dials it. */
  wsAddr: string
  /** Every address it listens on, with /p2p/. */
  addresses: string[]
  httpUrl: string
  stop(): Promise<void>
}

/**
 * Starts a relay on fixed ports (so a restarted relay is found at the same address) serving web/dist, with
 * its default hosting policy (projects whose grants give it the relay role, once an admin asks).
 */
export async function startRelay(dataDir: string, ports: { tcp: number; ws: number }, extraArgs: string[] = []): Promise<RelayHandle> {
  const proc = await startProcess(RELAY_CLI, {
    name: 'relay',
    args: [
      '--data-dir', dataDir, '--listen', `/ip4/127.0.0.1/tcp/${ports.tcp}`, '--listen', `/ip4/127.0.0.1/tcp/${ports.ws}/ws`,
      '--allow-loopback', '--static-root', WEB_DIST, ...extraArgs,
    ],
  })
  const info = proc.info as unknown as { peerId: string; addresses: string[]; httpUrls: string[] }
  const wsAddr = info.addresses.find((a) => a.includes('/ws'))!
  return { proc, peerId: info.peerId, wsAddr, addresses: info.addresses, httpUrl: info.httpUrls[0]!, stop: async () => { await proc.stop() } }
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--allow-loopback-in-peer-connection',
]

/** One person: a Chromium process of its own with a fresh profile, and one page of the app. */
export interface Person {
  name: string
  browser: Browser
  context: BrowserContext
  page: Page
  logs: string[]
  close(): Promise<void>
}

export async function launchPerson(name: string, origin: string): Promise<Person> {
  // Each launch() is a Chromium process of its own with a fresh temporary profile that playwright removes.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  // Chromium offers no loopback ICE candidate to a page without camera/microphone permission.
  await context.grantPermissions(['camera', 'microphone', 'clipboard-read', 'clipboard-write'], { origin })
  const page = await context.newPage()
  const logs: string[] = []
  page.on('console', (m) => { logs.push(`[${name}] ${m.type()}: ${m.text()}`) })
  page.on('pageerror', (e) => { logs.push(`[${name}] pageerror: ${e.message}`) })
  return {
    name, browser, context, page, logs,
    close: async () => {
      await browser.close().catch(() => undefined)
    },
  }
}

export async function screenshot(page: Page, file: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, file) })
}

/**
 * Starts a relay whose `/quire.json` tells the app to grant it the `relay` role in new projects (as
 * `quire up` does), so it keeps a replica. Its key lives in the data directory: a first start learns it.
 */
export async function startHostingRelay(
  dataDir: string, ports: { tcp: number; ws: number }, moreGrants: ReadonlyArray<{ peerId: string; role: string }> = [],
): Promise<RelayHandle> {
  const probe = await startRelay(dataDir, ports)
  await probe.stop()
  const webConfig = join(dataDir, '..', 'web-config.json')
  await writeFile(webConfig, JSON.stringify({ autoGrant: [{ peerId: probe.peerId, role: 'relay' }, ...moreGrants] }))
  return startRelay(dataDir, ports, ['--web-config', webConfig])
}

export async function workDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'quire-web-e2e-'))
}

/**
 * Writes a new identity key into a compute peer's data directory (the file `quire-compute` loads) and
 * returns its peer id, so the relay's web config can name the compute peer before either starts.
 */
export async function computeIdentity(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  await writeFile(join(dataDir, 'identity.key'), privateKeyToProtobuf(key), { mode: 0o600 })
  return peerIdFromPrivateKey(key).toString()
}

/** Why a compute peer cannot run here, or undefined when it can. */
export function computeUnavailable(): string | undefined {
  if (!existsSync(COMPUTE_CLI)) return 'compute-peer/dist is not built: run `npm run build` first'
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 is missing'
  return undefined
}

/** Starts `quire-compute` on loopback with its data directory, bootstrapping from `relay` (a TCP address). */
export async function startCompute(dataDir: string, relay: string): Promise<PeerProcess> {
  return startProcess(COMPUTE_CLI, {
    name: 'compute', readyTimeout: 60_000,
    args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--allow-loopback', '--data-dir', dataDir, '--bootstrap', relay],
  })
}

/** A relay that grants its compute peer the `compute` role in new projects (as `quire up`), that compute peer, and two people. */
export interface ComputeWorld {
  readonly dir: string
  readonly relay: RelayHandle
  readonly compute: PeerProcess
  readonly computeId: string
  readonly a: Person
  readonly b: Person
  /** Prints the browsers' error lines, then stops everything and removes the directory. */
  close(): Promise<void>
}

export async function startComputeWorld(): Promise<ComputeWorld> {
  const dir = await workDir()
  const computeId = await computeIdentity(join(dir, 'compute'))
  const relay = await startHostingRelay(join(dir, 'relay'), { tcp: await freePort(), ws: await freePort() }, [{ peerId: computeId, role: 'compute' }])
  const [compute, a, b] = await Promise.all([
    startCompute(join(dir, 'compute'), relay.addresses.find((addr) => !addr.includes('/ws'))!),
    launchPerson('a', relay.httpUrl),
    launchPerson('b', relay.httpUrl),
  ])
  return {
    dir, relay, compute, computeId, a, b,
    async close() {
      console.log([...a.logs, ...b.logs].filter((l) => /error/i.test(l)).slice(0, 40).join('\n'))
      await a.close()
      await b.close()
      await compute.stop()
      await relay.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
