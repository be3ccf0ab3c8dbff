/**
 * `browser keystroke` (issue 6): two people, each in a Chromium process of its own, edit one text file of
 * the web app served by a relay on loopback. A types (real key events through `page.keyboard`); a sample
 * is the time from the keystroke's `keydown` in A to the moment the character is in B's editor DOM
 * (CodeMirror's `.cm-content`, seen by a MutationObserver). Rounds alternate two paths: the direct WebRTC
 * link the app opens between the two browsers, and only the relay between them (the app's peer connector
 * stopped and the A-B connection closed, so every change goes A -> relay's replica -> B).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import type { RelayProcess } from '@quire/relay/testing'
import { sleep } from '../lib/proc.js'
import { percentiles, type Percentiles } from '../compute/compute-execute.js'
import { directAgain, linkTo, relayIdsOf, relayOnly, shareFile } from './app-flow.js'
import { launchPerson, pageClockOffset, startAppRelay, webRtcTraffic, type Person, type WebRtcTraffic } from './browsers.js'
import { canUseNamespace, runInLoopbackNamespace } from './loopback-netns.js'
import { installSyncProbe, syncPathCounts, syncProbeEvents, type SyncPathCount } from './sync-probe.js'

/**
 * Runs {@link browserKeystroke} inside a loopback-only network namespace when this process may create one
 * (root), else here, on the host's network, where only the candidate filter keeps WebRTC on 127.0.0.1.
 */
export async function browserKeystrokeOnLoopback(options: BrowserKeystrokeOptions): Promise<BrowserKeystrokeResult> {
  if (!canUseNamespace()) return { ...(await browserKeystroke(options)), network: 'host network (not root: no namespace); WebRTC candidates filtered to 127.0.0.1' }
  const script = fileURLToPath(new URL('./browser-main.js', import.meta.url))
  const r = await runInLoopbackNamespace<BrowserKeystrokeResult>(script, [String(options.keystrokes), String(options.delayMs), String(options.rounds)], 15 * 60_000)
  return { ...r, network: 'a network namespace with only lo (127.0.0.1, ::1)' }
}

export interface KeystrokeRun {
  readonly path: string
  /** How A and B were connected during the run, as the app reports it (A's view of B, and of the relay). */
  readonly link: string
  readonly keystrokes: number
  readonly latency: Percentiles
  /** Keystroke to the start of the next animation frame in B after the character reached its DOM (the frame that paints it). */
  readonly toFrame: Percentiles
  /** Keystroke to the character in A's own editor DOM (one clock): the editor's and the binding's share. */
  readonly localEcho: Percentiles
  /** Keystrokes not in B's editor 5 s after typing stopped. */
  readonly missing: number
  /** Bytes A's open WebRTC connections carried during the run (selected candidate pairs, both directions). */
  readonly webRtcBytes: number
  /** A's and B's open WebRTC connections and their selected candidate pairs, at the end of the run. */
  readonly webRtc: string
  /** What B's sync streams carried in the run, by peer and connection kind. */
  readonly syncPaths: string
}

export interface BrowserKeystrokeResult {
  readonly runs: KeystrokeRun[]
  /** Where the browsers and the relay ran: a loopback-only network namespace, or the host's network. */
  readonly network?: string
  /** Largest |page clock - bench clock| measured (ms, corrected for) and the largest uncertainty (half RTT). */
  readonly maxOffsetMs: number
  readonly maxUncertaintyMs: number
}

interface BenchWindow {
  __benchKeys: number[]
  __benchArrivals: { base: number; seen: number; at: number[]; frame: number[] }
  __benchObserver?: MutationObserver
}

/** In A: the time of every printable keydown, before the editor handles it (capture phase). */
function recordKeys(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = window as unknown as BenchWindow
    w.__benchKeys = []
    document.addEventListener('keydown', (e) => {
      if (e.key.length === 1 && !e.ctrlKey && !e.metaKey) w.__benchKeys.push(performance.timeOrigin + performance.now())
    }, true)
  })
}

/** In B: for each new character of the editor's text, the time it first appeared in the DOM. */
function recordArrivals(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = window as unknown as BenchWindow
    const content = document.querySelector('.cm-content')!
    // The text as shown, without the name labels of remote cursors.
    const length = () => {
      let n = 0
      content.querySelectorAll('.cm-line').forEach((line) => {
        n += (line.textContent ?? '').length
        line.querySelectorAll('.cm-remote-label').forEach((label) => { n -= (label.textContent ?? '').length })
      })
      return n
    }
    w.__benchObserver?.disconnect()
    const start = length()
    w.__benchArrivals = { base: start, seen: start, at: [], frame: [] }
    w.__benchObserver = new MutationObserver(() => {
      const now = performance.timeOrigin + performance.now()
      const s = w.__benchArrivals
      const before = s.at.length
      for (const n = length(); s.seen < n; s.seen++) s.at.push(now)
      const added = s.at.length - before
      // The frame that paints it: animation frame callbacks run just before the page is drawn.
      if (added > 0) requestAnimationFrame(() => { const f = performance.timeOrigin + performance.now(); for (let i = 0; i < added; i++) s.frame.push(f) })
    })
    w.__benchObserver.observe(content, { childList: true, subtree: true, characterData: true })
  })
}

async function typeAndMeasure(a: Person, b: Person, keystrokes: number, delayMs: number): Promise<{ latency: Percentiles; toFrame: Percentiles; localEcho: Percentiles; missing: number; maxOffsetMs: number; maxUncertaintyMs: number }> {
  await a.page.locator('.cm-content').click()
  await a.page.keyboard.press('Control+End')
  await sleep(500)
  await a.page.evaluate(() => { (window as unknown as BenchWindow).__benchKeys = [] })
  await recordArrivals(b.page)
  await recordArrivals(a.page)
  // Letters only: no auto-closed brackets, no Markdown, one line that only grows.
  const text = Array.from({ length: keystrokes }, (_, i) => 'abcdefghij'[i % 10]).join('')
  await a.page.keyboard.type(text, { delay: delayMs })
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    const seen = await b.page.evaluate(() => (window as unknown as BenchWindow).__benchArrivals.at.length)
    if (seen >= keystrokes) break
    await sleep(100)
  }
  // Offsets measured after typing, so the pages are as busy as they get; the uncertainty is half a round trip.
  const [oa, ob] = [await pageClockOffset(a.page), await pageClockOffset(b.page)]
  const keys = await a.page.evaluate(() => (window as unknown as BenchWindow).__benchKeys)
  const { at: arrivals, frame } = await b.page.evaluate(() => (window as unknown as BenchWindow).__benchArrivals)
  const local = await a.page.evaluate(() => (window as unknown as BenchWindow).__benchArrivals.at)
  const echo = keys.flatMap((t, k) => (local[k] === undefined ? [] : [local[k] - t]))
  if (keys.length !== keystrokes) throw new Error(`A recorded ${keys.length} keystrokes, expected ${keystrokes}`)
  const samples: number[] = []
  const frames: number[] = []
  for (const [k, t] of keys.entries()) {
    const at = arrivals[k]
    if (at !== undefined) samples.push((at - ob.offsetMs) - (t - oa.offsetMs))
    const f = frame[k]
    if (f !== undefined) frames.push((f - ob.offsetMs) - (t - oa.offsetMs))
  }
  return {
    latency: percentiles(samples),
    toFrame: percentiles(frames),
    localEcho: percentiles(echo),
    missing: keystrokes - samples.length,
    maxOffsetMs: Math.max(Math.abs(oa.offsetMs), Math.abs(ob.offsetMs)),
    maxUncertaintyMs: Math.max(oa.rttMs, ob.rttMs) / 2,
  }
}

// A WebRTC connection's address is `<relay>/p2p-circuit/webrtc/p2p/<peer>`: the circuit was only its signaling path.
const transportOf = (addr: string): string => (addr.includes('/webrtc') ? 'webrtc' : addr.includes('/p2p-circuit') ? 'circuit' : addr.includes('/ws') ? 'ws' : 'tcp')
const describeLink = (l: { kinds: string[]; addrs: string[] } | undefined): string =>
  l === undefined ? 'none' : `${l.kinds.join('+')} (${l.addrs.map(transportOf).join(', ')})`

/** Keystrokes per run, the pause between two, and how many rounds of (direct WebRTC, relay only) to run. */
export interface BrowserKeystrokeOptions {
  readonly keystrokes: number
  readonly delayMs: number
  readonly rounds: number
}

/** B's sync traffic in a run (after minus before), by peer (A or the relay) and connection kind. */
function describeSyncPaths(before: SyncPathCount[], after: SyncPathCount[], aId: string, relayId: string): string {
  return after.map((x) => {
    const b = before.find((y) => y.peer === x.peer && y.kind === x.kind)
    const who = x.peer === aId ? 'from A' : x.peer === relayId ? 'from the relay' : `from ${x.peer.slice(-6)}`
    return `${who} over ${x.kind}: ${x.framesIn - (b?.framesIn ?? 0)} data events in (${x.bytesIn - (b?.bytesIn ?? 0)} B), ${x.framesOut - (b?.framesOut ?? 0)} frames out`
  }).join('; ')
}

const describeTraffic = (a: WebRtcTraffic, b: WebRtcTraffic): string => ([['A', a], ['B', b]] as const)
  .map(([who, t]) => `${who}: ${t.open === 0 ? 'none open' : `${t.open} open, selected pair ${t.addresses.join('; ')}`}`).join('; ')

export async function browserKeystroke(options: BrowserKeystrokeOptions): Promise<BrowserKeystrokeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-bench-browser-'))
  let relay: RelayProcess | undefined
  const people: Person[] = []
  try {
    await mkdir(join(dir, 'relay'))
    relay = await startAppRelay(join(dir, 'relay'))
    const origin = relay.httpUrl
    const [a, b] = await Promise.all([launchPerson('a', origin), launchPerson('b', origin)])
    people.push(a!, b!)
    const { bId } = await shareFile(a!, b!, `${origin}/`, 'bench.txt')
    await Promise.all([installSyncProbe(a!.page), installSyncProbe(b!.page)])
    await recordKeys(a!.page)
    const runs: KeystrokeRun[] = []
    let maxOffsetMs = 0
    let maxUncertaintyMs = 0
    const run = async (path: string, check: () => Promise<string>, keystrokes = options.keystrokes, record = true) => {
      const link = await check()
      const before = await webRtcTraffic(a!.page)
      const syncBefore = await syncPathCounts(b!.page)
      const r = await typeAndMeasure(a!, b!, keystrokes, options.delayMs)
      const traffic = await webRtcTraffic(a!.page)
      const trafficB = await webRtcTraffic(b!.page)
      const syncPaths = describeSyncPaths(syncBefore, await syncPathCounts(b!.page), aId, relayId)
      // Checked again after typing: still WebRTC only (or still no A-B link in the relay-only run).
      const after = await check()
      // A keystroke moved about 1.2 KiB over the link here (sync messages both ways, presence): far less than
      // 100 bytes each means B got them another way.
      if (path === 'direct WebRTC' && traffic.bytes - before.bytes < keystrokes * 100) {
        const events = [...(await syncProbeEvents(a!.page)).map((e) => `A ${e}`), ...(await syncProbeEvents(b!.page)).map((e) => `B ${e}`)]
        throw new Error(`the WebRTC link carried ${traffic.bytes - before.bytes} bytes for ${keystrokes} keystrokes: B got them through the relay (${describeTraffic(traffic, trafficB)}; B's sync streams in the run: ${syncPaths})\n${events.join('\n')}`)
      }
      if (!record) return
      maxOffsetMs = Math.max(maxOffsetMs, r.maxOffsetMs)
      maxUncertaintyMs = Math.max(maxUncertaintyMs, r.maxUncertaintyMs)
      runs.push({
        path, link: after === link ? link : `${link}, then ${after}`, keystrokes, latency: r.latency, toFrame: r.toFrame, localEcho: r.localEcho, missing: r.missing,
        webRtcBytes: traffic.bytes - before.bytes,
        webRtc: describeTraffic(traffic, trafficB),
        syncPaths,
      })
    }
    const aId = await a!.page.evaluate(() => (window as unknown as { quire: { session: { peerId: string } } }).quire.session.peerId)
    const relayId = (await relayIdsOf(a!.page))[0]!

    // (a) Direct WebRTC, as the app keeps it: wait until A's connections to B are WebRTC only (its address
    // names the relay's circuit, which was only the signaling path; `connectionKind` tells them apart).
    const waitForWebRtc = async () => {
      const deadline = Date.now() + 60_000
      for (;;) {
        const [l, m] = [await linkTo(a!.page, bId), await linkTo(b!.page, aId)]
        const [ta, tb] = [await webRtcTraffic(a!.page), await webRtcTraffic(b!.page)]
        // Both ends must list only WebRTC links to each other and each page have a connected
        // RTCPeerConnection: a link only one side still believes in carries nothing, and B would get every
        // change through the relay instead. Two WebRTC links at once happen (both sides dialed): still
        // direct, so accepted; the bytes check after the run says whether they carried the keystrokes.
        const webrtcOnly = (x: typeof l) => x !== undefined && x.kinds.join() === 'webrtc' && x.addrs.every((y) => transportOf(y) === 'webrtc')
        if (webrtcOnly(l) && webrtcOnly(m) && ta.open >= 1 && tb.open >= 1) return
        if (Date.now() > deadline) {
          throw new Error(`no direct WebRTC link between A and B after 60 s (A's: ${describeLink(l)}, B's: ${describeLink(m)}, connected RTCPeerConnections: A ${ta.open}, B ${tb.open})`)
        }
        await sleep(500)
      }
    }
    const direct = async () => {
      const l = await linkTo(a!.page, bId)
      if (l?.kinds.join() !== 'webrtc') throw new Error(`A's link to B is ${describeLink(l)}, not WebRTC`)
      return describeLink(l)
    }
    // (b) Relay only: no connection between the browsers; both hold one to the relay, which has the role `relay`.
    const relayed = async () => {
      const [ab, ar, br] = [await linkTo(a!.page, bId), await linkTo(a!.page, relayId), await linkTo(b!.page, relayId)]
      if (ab !== undefined) throw new Error(`A still has a connection to B: ${describeLink(ab)}`)
      if (ar === undefined || br === undefined) throw new Error('A or B is not connected to the relay')
      return `A-B none; A-relay ${describeLink(ar)}; B-relay ${describeLink(br)}`
    }
    await waitForWebRtc()
    // Warm-up (not recorded): the first keystrokes of a page pay for compiling the code on their path.
    await run('warm-up', direct, 50, false)
    // Rounds alternate the two paths, so both see the same stretches of this shared machine.
    for (let round = 0; round < options.rounds; round++) {
      if (round > 0) {
        await directAgain(a!.page)
        await directAgain(b!.page)
        await waitForWebRtc()
        await sleep(1000)
      }
      await run('direct WebRTC', direct)
      await relayOnly(a!.page, bId)
      await relayOnly(b!.page, aId)
      await sleep(1000)
      await run('relay only', relayed)
    }
    return { runs, maxOffsetMs, maxUncertaintyMs }
  } catch (error) {
    for (const p of people) console.error(p.logs.filter((l) => /error|warn/i.test(l)).slice(-20).join('\n'))
    throw error
  } finally {
    await Promise.all(people.map((p) => p.close()))
    await relay?.proc.stop(30_000)
    await rm(dir, { recursive: true, force: true })
  }
}
