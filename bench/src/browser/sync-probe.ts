/**
 * Which connection carries the sync with each peer, read inside a page: every `/quire/sync/1.0.0` stream the
 * page's libp2p node holds, the kind of its connection (webrtc, relayed, direct) and the frames and bytes
 * that went each way on it. The `browser keystroke` benchmark reads it to say where B's copy of A's
 * keystrokes came from, not only that the WebRTC transport was quiet.
 */
import type { Page } from 'playwright-core'

/** Frames and bytes sent and received on the sync streams to one peer over connections of one kind. */
export interface SyncPathCount {
  readonly peer: string
  readonly kind: string
  readonly streams: number
  readonly framesIn: number
  readonly bytesIn: number
  readonly framesOut: number
  readonly bytesOut: number
}

interface ProbeWindow {
  __benchSync?: { counts: Map<string, { peer: string; kind: string; streams: Set<string>; framesIn: number; bytesIn: number; framesOut: number; bytesOut: number }>; seen: WeakSet<object>; events: string[] }
  quire: { session: { node: { getConnections(): ProbeConnection[]; addEventListener(e: string, f: (evt: unknown) => void): void } } }
}
interface ProbeStream {
  id: string
  protocol: string
  addEventListener(e: string, f: (evt: { data: { byteLength: number } }) => void): void
  send(data: { byteLength: number }): boolean
}
interface ProbeConnection { id: string; remotePeer: { toString(): string }; remoteAddr: { toString(): string }; streams: ProbeStream[] }

/** Starts counting in the page (idempotent): streams are looked for every 20 ms and on every new connection. */
export function installSyncProbe(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = window as unknown as ProbeWindow
    if (w.__benchSync !== undefined) return
    const state: NonNullable<ProbeWindow['__benchSync']> = { counts: new Map(), seen: new WeakSet(), events: [] }
    w.__benchSync = state
    const kindOf = (addr: string) => (addr.includes('/webrtc') ? 'webrtc' : addr.includes('/p2p-circuit') ? 'relayed' : 'direct')
    const scan = () => {
      for (const c of w.quire.session.node.getConnections()) {
        for (const s of c.streams) {
          if (s.protocol !== '/quire/sync/1.0.0' || state.seen.has(s)) continue
          state.seen.add(s)
          const peer = c.remotePeer.toString()
          const kind = kindOf(c.remoteAddr.toString())
          const key = `${peer} ${kind}`
          let entry = state.counts.get(key)
          if (entry === undefined) state.counts.set(key, (entry = { peer, kind, streams: new Set(), framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0 }))
          entry.streams.add(`${c.id}/${s.id}`)
          const e = entry
          state.events.push(`${(performance.timeOrigin + performance.now()).toFixed(1)} sync stream ${s.id} to ${peer.slice(-6)} on ${kind} connection ${c.id}`)
          s.addEventListener('message', (evt) => { e.framesIn++; e.bytesIn += evt.data.byteLength })
          const send = s.send.bind(s)
          s.send = (data) => { e.framesOut++; e.bytesOut += data.byteLength; return send(data) }
        }
      }
    }
    setInterval(scan, 20)
    const note = (what: string) => (evt: unknown) => {
      const c = (evt as { detail: ProbeConnection }).detail
      state.events.push(`${(performance.timeOrigin + performance.now()).toFixed(1)} connection ${what} ${c.id} to ${c.remotePeer.toString().slice(-6)} (${kindOf(c.remoteAddr.toString())})`)
      if (what === 'open') setTimeout(scan, 0)
    }
    w.quire.session.node.addEventListener('connection:open', note('open'))
    w.quire.session.node.addEventListener('connection:close', note('close'))
    scan()
  })
}

/** The counts so far, one entry per peer and connection kind. */
export function syncPathCounts(page: Page): Promise<SyncPathCount[]> {
  return page.evaluate(() => {
    const s = (window as unknown as ProbeWindow).__benchSync
    return s === undefined ? [] : [...s.counts.values()].map((e) => ({ ...e, streams: e.streams.size }))
  })
}

/** What the probe noted (streams found, with the page's clock), for a failure's message. */
export function syncProbeEvents(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as ProbeWindow).__benchSync?.events ?? [])
}
