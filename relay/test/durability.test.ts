import { afterAll, describe, expect, it } from 'vitest'
import { stopAllProcesses, waitUntil } from '@quire/node/testing'
import { startRelayProcess, startWriterProcess, type RelayProcess } from '@quire/relay/testing'
import { readStoredDoc, seededRandom, sleep, tempDir } from './helpers.js'

// Issue 4 asks for at least 20 kills in npm test (about a minute here); QUIRE_LONG=1 does 100.
const KILLS = process.env.QUIRE_LONG === '1' ? 100 : 20
const SEED = Number(process.env.QUIRE_SEED ?? Date.now() % 1_000_000)

afterAll(() => stopAllProcesses())

interface LogDoc { log: number[] }

/** The stored log must be 1..n for some n >= acked: nothing acknowledged lost, nothing out of order. */
function expectPrefix(log: number[] | undefined, acked: number, context: string): void {
  expect(log, context).toBeDefined()
  const n = log!.length
  expect(n, `${context}: stored ${n} changes but the writer saw ${acked} acknowledged`).toBeGreaterThanOrEqual(acked)
  expect(log, context).toEqual(Array.from({ length: n }, (_, i) => i + 1))
}

describe('relay durability', () => {
  it(`[RL4] [RL20] [RL21] [RL22] [RL23] kill -9 at ${KILLS} random moments while a writer streams: no acknowledged change is lost, the database opens without repair (seed ${SEED})`, async () => {
    const random = seededRandom(SEED)
    const { dir, remove } = await tempDir('quire-relay-kill-')
    try {
      const args = ['--data-dir', dir, '--hosting', 'open', '--max-docs-per-peer', '10']
      let relay: RelayProcess = await startRelayProcess(args)
      const writer = await startWriterProcess()
      await writer.request('dial', { address: relay.tcpAddress })
      const url = await writer.request('startWriting', { relayPeerId: relay.info.peerId, intervalMs: 15 })
      let lastAcked = 0
      for (let kill = 1; kill <= KILLS; kill++) {
        // Let the writer make progress through this relay, then kill it at a random moment.
        await waitUntil(async () => (await writer.request('status', undefined)).acked > lastAcked, 20_000, `acknowledgements after restart ${kill - 1}`)
        await sleep(Math.floor(random() * 250))
        await relay.proc.kill('SIGKILL')
        // Frames the relay sent before dying may still be in the writer's socket buffer.
        await sleep(50)
        const { acked, written } = await writer.request('status', undefined)
        const stored = await readStoredDoc<LogDoc>(dir, url)
        expectPrefix(stored?.log, acked, `after kill ${kill} (seed ${SEED}, written ${written})`)
        lastAcked = acked
        const before = relay.info.peerId
        relay = await startRelayProcess(args)
        expect(relay.info.peerId).toBe(before) // the identity lives in the data directory
        await writer.request('dial', { address: relay.tcpAddress })
      }
      // A clean stop (SIGTERM) after the writer stops: everything written is stored and the exit is clean.
      const final = await writer.request('stopWriting', undefined)
      await waitUntil(async () => (await writer.request('status', undefined)).acked === final.written, 20_000, 'the relay to acknowledge every change')
      // The writer's acknowledgements came the RL23 way: messages at once with the heads on disk, then
      // heads-only acknowledgements after each write (the last restart's count).
      const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text()
      expect(Number(/^quire_relay_acks_sent_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0)
      const exit = await relay.proc.stop(10_000)
      expect(exit).toEqual({ code: 0, signal: null })
      const stored = await readStoredDoc<LogDoc>(dir, url)
      expect(stored?.log).toEqual(Array.from({ length: final.written }, (_, i) => i + 1))
      await writer.stop()
    } finally {
      await stopAllProcesses()
      await remove()
    }
  }, process.env.QUIRE_LONG === '1' ? 1_200_000 : 300_000)
})
