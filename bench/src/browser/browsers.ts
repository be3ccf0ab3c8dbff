/**
 * Chromium processes and the relay that serves the web app, for browser benchmarks. The same setup as the
 * web app's e2e harness (web/test/e2e/harness.ts: flags, permissions, a relay granted the `relay` role
 * through its /quire.json), which is test code of @quire/web and not importable from here; the relay is
 * started with @quire/relay/testing's `startRelayProcess`.
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import { wallNow } from '../lib/proc.js'

export const CHROMIUM = '/usr/bin/chromium'
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url))

/** Why browser benchmarks cannot run here, or undefined when they can. */
export function browsersUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (Debian package chromium)`
  if (!existsSync(join(WEB_DIST, 'index.html'))) return 'web/dist is not built: run `npm run build` first'
  return undefined
}

/**
 * A relay serving web/dist whose /quire.json tells the app to grant it the `relay` role in new projects, so
 * it keeps a replica and forwards changes between members. Its key is in `dataDir`: a first start learns
 * its peer id for the web config.
 */
export async function startAppRelay(dataDir: string): Promise<RelayProcess> {
  const args = ['--data-dir', dataDir, '--hosting', 'open', '--static-root', WEB_DIST]
  const probe = await startRelayProcess(args, { readyTimeout: 60_000 })
  await probe.proc.stop(30_000)
  const webConfig = join(dataDir, '..', 'web-config.json')
  await writeFile(webConfig, JSON.stringify({ autoGrant: [{ peerId: probe.info.peerId, role: 'relay' }] }))
  return startRelayProcess([...args, '--web-config', webConfig], { readyTimeout: 60_000 })
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--allow-loopback-in-peer-connection',
  // A page in a browser nobody looks at must not have its timers and rendering throttled.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
]

/** One person: a Chromium process of its own (fresh profile) with one page of the app. */
export interface Person {
  readonly name: string
  readonly browser: Browser
  readonly page: Page
  readonly logs: string[]
  close(): Promise<void>
}

export async function launchPerson(name: string, origin: string): Promise<Person> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  // Chromium offers no loopback ICE candidate to a page without camera/microphone permission.
  await context.grantPermissions(['camera', 'microphone', 'clipboard-read', 'clipboard-write'], { origin })
  await context.addInitScript(recordPeerConnections)
  const page = await context.newPage()
  const logs: string[] = []
  page.on('console', (m) => { logs.push(`[${name}] ${m.type()}: ${m.text()}`) })
  page.on('pageerror', (e) => { logs.push(`[${name}] pageerror: ${e.message}`) })
  return { name, browser, page, logs, close: async () => { await browser.close().catch(() => undefined) } }
}

/**
 * Runs in every page before the app (serialized by playwright, so self-contained). Keeps each
 * RTCPeerConnection the app opens, so the benchmark can read its transport statistics (the proof that bytes
 * flow over WebRTC, and between which addresses). And keeps WebRTC on 127.0.0.1: Chromium also offers this
 * host's own interface addresses as ICE candidates, which the benchmark must not use (loopback only), so
 * candidates for any other address are neither given to the app to signal nor accepted from the peer.
 */
function recordPeerConnections(): void {
  // Field 4 of `candidate:<foundation> <component> <protocol> <priority> <address> <port> typ ...`.
  const allowed = (line: string | undefined | null): boolean => {
    if (line === undefined || line === null || line.trim() === '') return true // end of candidates
    return line.replace(/^a=/, '').split(' ')[4] === '127.0.0.1'
  }
  type Listener = (this: RTCPeerConnection, e: RTCPeerConnectionIceEvent) => unknown
  const wrapped = new WeakMap<object, EventListener>()
  const filter = (pc: RTCPeerConnection, fn: Listener): EventListener => (e) => {
    const candidate = (e as RTCPeerConnectionIceEvent).candidate
    if (candidate !== null && !allowed(candidate.candidate)) return
    fn.call(pc, e as RTCPeerConnectionIceEvent)
  }
  const Native = window.RTCPeerConnection
  const all: RTCPeerConnection[] = []
  ;(window as unknown as { __benchPeerConnections: RTCPeerConnection[] }).__benchPeerConnections = all
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config)
      all.push(this)
    }
    override addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void {
      if (type === 'icecandidate' && typeof listener === 'function') {
        const f = filter(this, listener as unknown as Listener)
        wrapped.set(listener, f)
        super.addEventListener(type, f, options)
        return
      }
      super.addEventListener(type, listener, options)
    }
    override removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void {
      super.removeEventListener(type, wrapped.get(listener) ?? listener, options)
    }
    override set onicecandidate(fn: Listener | null) {
      super.onicecandidate = fn === null ? null : filter(this, fn)
    }
    override get onicecandidate(): Listener | null {
      return super.onicecandidate
    }
    override addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
      if (candidate !== undefined && candidate !== null && !allowed(candidate.candidate)) return Promise.resolve()
      return super.addIceCandidate(candidate ?? undefined)
    }
    override setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      const sdp = description.sdp?.split('\r\n').filter((l) => !l.startsWith('a=candidate') || allowed(l)).join('\r\n')
      return super.setRemoteDescription(sdp === undefined ? description : { type: description.type, sdp })
    }
  }
}

/** What the page's open WebRTC connections have carried (transport bytes, both ways) and their selected candidate pairs (local -> remote). */
export interface WebRtcTraffic {
  readonly open: number
  readonly bytes: number
  readonly addresses: string[]
}

export function webRtcTraffic(page: Page): Promise<WebRtcTraffic> {
  return page.evaluate(async () => {
    const all = (window as unknown as { __benchPeerConnections: RTCPeerConnection[] }).__benchPeerConnections
    let open = 0
    let bytes = 0
    const addresses = new Set<string>()
    for (const pc of all) {
      if (pc.connectionState !== 'connected') continue
      open++
      const stats = (await pc.getStats()) as unknown as Map<string, unknown>
      // The transport's selected candidate pair is the one carrying the data.
      stats.forEach((value) => {
        const t = value as { type: string; bytesSent?: number; bytesReceived?: number; selectedCandidatePairId?: string }
        if (t.type !== 'transport') return
        bytes += (t.bytesSent ?? 0) + (t.bytesReceived ?? 0)
        const pair = stats.get(t.selectedCandidatePairId ?? '') as { localCandidateId?: string; remoteCandidateId?: string } | undefined
        const local = stats.get(pair?.localCandidateId ?? '') as { address?: string; port?: number; protocol?: string } | undefined
        const remote = stats.get(pair?.remoteCandidateId ?? '') as { address?: string; port?: number } | undefined
        addresses.add(`${local?.protocol ?? '?'} ${local?.address ?? '?'}:${local?.port ?? '?'} -> ${remote?.address ?? '?'}:${remote?.port ?? '?'}`)
      })
    }
    return { open, bytes, addresses: [...addresses] }
  })
}

/**
 * The page's clock (`performance.timeOrigin + performance.now()`) minus ours, from the exchange with the
 * shortest round trip of twenty (Cristian's method, as bench/src/relay does for worker processes). Also
 * returns that round trip: the offset is known to within half of it.
 */
export async function pageClockOffset(page: Page): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { rttMs: Infinity, offsetMs: 0 }
  for (let i = 0; i < 20; i++) {
    const t0 = wallNow()
    const theirs = await page.evaluate(() => performance.timeOrigin + performance.now())
    const t1 = wallNow()
    if (t1 - t0 < best.rttMs) best = { rttMs: t1 - t0, offsetMs: theirs - (t0 + t1) / 2 }
  }
  return best
}
