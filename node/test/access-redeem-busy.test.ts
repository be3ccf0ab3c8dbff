import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  ProjectIndex,
  accessShareConfig,
  createInvite,
  createProjectWithGrants,
  createQuireNode,
  createQuireRepo,
  createRedemptionRequest,
  requestRedemption,
  serveRedemptions,
  type QuireNode,
} from '@quire/node'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Redeemers at once, and the admin device's limits they exceed (counts, not rates of this machine). */
const REDEEMERS = 12
const ADMIN_LIMITS = { inboundConnectionThreshold: 2, maxIncomingPendingConnections: 2 }

describe('invite redemption against a busy admin device', () => {
  it('[A35] concurrent redemptions past the admin device\'s connection limits succeed or fail with REDEEM_ADMIN_BUSY, never a raw reset', async () => {
    const key = await generateKeyPair('Ed25519')
    const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key, connectionManager: ADMIN_LIMITS })
    const index = new ProjectIndex()
    const q = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }) })
    await index.attach(q.repo)
    cleanups.push(async () => {
      index.stop()
      await q.stop()
      await node.stop()
    })
    const p = await createProjectWithGrants(q.repo, { name: 'Lab', owner: key, index })
    const service = await serveRedemptions({ libp2p: node, repo: q.repo, index, key })
    cleanups.push(() => service.stop())
    const { token } = await createInvite(key, { project: p.id, owner: node.peerId.toString(), role: 'writer', uses: REDEEMERS, expires: Date.now() + 3_600_000 })

    const joiners: Array<{ node: QuireNode; request: string }> = []
    for (let i = 0; i < REDEEMERS; i++) {
      const joinerKey = await generateKeyPair('Ed25519')
      const joiner = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: joinerKey })
      cleanups.push(async () => { await joiner.stop() })
      joiners.push({ node: joiner, request: await createRedemptionRequest(joinerKey, token) })
    }
    const redeemAll = (list: typeof joiners, options: { attempts?: number } = {}): Promise<Array<{ code: string; message: string }>> =>
      Promise.all(list.map(({ node: joiner, request }) =>
        requestRedemption(joiner, node.getMultiaddrs(), { invite: token, request }, {
          signal: AbortSignal.timeout(120_000),
          ...(options.attempts !== undefined && { retry: { attempts: options.attempts, baseDelayMs: 250, maxDelayMs: 4000 } }),
        }).then(() => ({ code: 'ok', message: '' }), (err: { code?: string; message?: string }) => ({ code: err.code ?? 'raw', message: String(err.message) }))))

    // Without retries, the limits drop most of the burst: each of those is the stable code, with what to do.
    const once = await redeemAll(joiners.slice(0, REDEEMERS / 2), { attempts: 1 })
    for (const outcome of once) expect(['ok', 'REDEEM_ADMIN_BUSY'], outcome.message).toContain(outcome.code)
    for (const busy of once.filter((o) => o.code === 'REDEEM_ADMIN_BUSY')) expect(busy.message).toMatch(/too busy.*again/)

    // With the default bounded retries, the whole burst: every redeemer gets its grant or the stable code
    // (the first half's accepted ones now answer INVITE_ALREADY_REDEEMED, their grant being in the project).
    await new Promise((r) => setTimeout(r, 1500))
    const outcomes = await redeemAll(joiners)
    for (const [i, outcome] of outcomes.entries()) {
      const allowed = once[i]?.code === 'ok' ? ['INVITE_ALREADY_REDEEMED'] : ['ok', 'REDEEM_ADMIN_BUSY']
      expect(allowed, outcome.message).toContain(outcome.code)
    }
    expect(outcomes.filter((o) => o.code === 'ok').length).toBeGreaterThan(0)
  }, 180_000)
})
