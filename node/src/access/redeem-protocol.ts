/**
 * `/quire/redeem/1.0.0`: a new peer hands its invite and signed redemption request to an admin device,
 * which accepts it (`acceptRedemption`), appends the grant and redemption record to the project's grants
 * document, and answers once its share decisions include the new member, so the new peer can sync the
 * project as soon as the answer arrives. One request frame and one answer frame (varint length + CBOR, as
 * on the sync protocol); the answer is `{ ok: true, grant }` or `{ ok: false, code, message }`.
 */
import { isValidDocumentId, type DocumentId, type Repo } from '@automerge/automerge-repo'
import { appendGrantEntries, type GrantsDoc } from '@quire/crdt'
import type { Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { mapFrame, readMapFrame, sendFinalFrame } from './cbor-frames.js'
import { AccessError, type AccessErrorCode } from './errors.js'
import { verifyInvite, verifyRedemptionRequest } from './invites.js'
import type { ProjectIndex } from './project-index.js'
import { acceptRedemption, type RedemptionTokens } from './redeem.js'
import { DEFAULT_BUSY_RETRY, busyRetryDelay, isBusyPeerError, pause, type BusyRetry } from './busy-peer.js'

export const REDEEM_PROTOCOL = '/quire/redeem/1.0.0'
/** Two tokens of a few hundred bytes each; anything larger is not a redemption. */
const MAX_FRAME_BYTES = 16 * 1024
const DEFAULT_TIMEOUT_MS = 10_000

/** What {@link serveRedemptions} needs: an admin (or owner) device of the projects it accepts for. */
export interface RedemptionServiceInit {
  readonly libp2p: Pick<Libp2p, 'handle' | 'unhandle'>
  readonly repo: Repo
  /** Where the grants document of each project this device takes part in is found. */
  readonly index: ProjectIndex
  /** The admin's key (the libp2p identity of this device). */
  readonly key: PrivateKey
  readonly now?: () => number
}

/** Answers redemption requests until stopped. */
export async function serveRedemptions(init: RedemptionServiceInit): Promise<{ stop(): Promise<void> }> {
  const now = init.now ?? Date.now
  // One redemption at a time: two requests checked concurrently could both see a use left.
  let queue: Promise<unknown> = Promise.resolve()
  const accept = async (tokens: RedemptionTokens, remote: string): Promise<string> => {
    const request = await verifyRedemptionRequest(tokens.request)
    if (request.record.issuer !== remote) {
      throw new AccessError('REDEMPTION_FORGED', 'A redemption request must be sent by the peer that signed it: open the invite link on that device.')
    }
    const invite = await verifyInvite(tokens.invite)
    const project = isValidDocumentId(invite.project) ? invite.project : undefined
    const grantsId = project === undefined ? undefined : init.index.grantsOf(project)
    const owner = project === undefined ? undefined : init.index.ownerOf(project)
    if (grantsId === undefined || owner === undefined) {
      throw new AccessError('PROJECT_UNKNOWN', `This device does not hold project ${invite.project}: ask an admin whose device has it open.`)
    }
    const handle = await init.repo.find<GrantsDoc>(grantsId as DocumentId)
    const accepted = await acceptRedemption(handle.doc(), tokens, { key: init.key, now: now(), owner, project: invite.project })
    handle.change((doc) => { appendGrantEntries(doc, accepted.entries) })
    await init.index.settled()
    return accepted.grant.id
  }
  await init.libp2p.handle(REDEEM_PROTOCOL, async (stream, connection) => {
    try {
      const frame = await readMapFrame(stream, MAX_FRAME_BYTES, 'INVALID_ARGUMENT', 'redemption')
      const tokens = { invite: String(frame['invite'] ?? ''), request: String(frame['request'] ?? '') }
      const run = queue.then(() => accept(tokens, connection.remotePeer.toString()))
      queue = run.catch(() => undefined)
      const grant = await run
      await sendFinalFrame(stream, { ok: true, grant })
    } catch (err) {
      const e = err instanceof AccessError ? err : new AccessError('INVALID_ARGUMENT', `Bad redemption: ${(err as Error).message}`)
      await sendFinalFrame(stream, { ok: false, code: e.code, message: e.message }).catch(() => stream.abort(e))
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: 4 })
  return { stop: () => init.libp2p.unhandle(REDEEM_PROTOCOL) }
}

/** Options of {@link requestRedemption}. */
export interface RequestRedemptionOptions {
  /** Ends the whole redemption, retries included; each attempt also times out after 10 s on its own. */
  signal?: AbortSignal
  /** Retries while the admin device is busy (A35); default {@link DEFAULT_BUSY_RETRY}. */
  retry?: BusyRetry
}

/**
 * The new peer's side: sends the invite and its redemption request to an admin device and resolves with
 * the new grant's entry id; a refusal rejects with the admin's `AccessError` code. An admin device past its
 * connection or stream limits drops the connection (ECONNRESET) or resets the stream: that is retried with
 * backoff a bounded number of times, then rejected as `REDEEM_ADMIN_BUSY` (A35), never as a raw reset.
 */
export async function requestRedemption(
  libp2p: Pick<Libp2p, 'dialProtocol'>, peer: PeerId | Multiaddr | Multiaddr[], tokens: RedemptionTokens, options: RequestRedemptionOptions = {},
): Promise<{ grant: string }> {
  const retry = options.retry ?? DEFAULT_BUSY_RETRY
  let busy: AccessError | undefined
  for (let attempt = 1; ; attempt++) {
    const signal = options.signal === undefined
      ? AbortSignal.timeout(DEFAULT_TIMEOUT_MS)
      : AbortSignal.any([options.signal, AbortSignal.timeout(DEFAULT_TIMEOUT_MS)])
    try {
      return await redeemOnce(libp2p, peer, tokens, signal)
    } catch (err) {
      // The caller gave up during a retry: the reason it did not get through was the busy device.
      if (busy !== undefined && options.signal?.aborted === true) throw busy
      if (err instanceof AccessError || !isBusyPeerError(err)) throw err
      busy = new AccessError('REDEEM_ADMIN_BUSY',
        `The admin device is too busy to take this invite now (it dropped the connection ${attempt} ${attempt === 1 ? 'time' : 'times'}; many people may be joining at once): open the invite link again in a minute.`,
        { cause: err })
      if (attempt >= retry.attempts) throw busy
      try {
        await pause(busyRetryDelay(retry, attempt), options.signal)
      } catch {
        throw busy
      }
    }
  }
}

async function redeemOnce(libp2p: Pick<Libp2p, 'dialProtocol'>, peer: PeerId | Multiaddr | Multiaddr[], tokens: RedemptionTokens, signal: AbortSignal): Promise<{ grant: string }> {
  const stream = await libp2p.dialProtocol(peer, REDEEM_PROTOCOL, { signal, runOnLimitedConnection: true })
  try {
    stream.send(mapFrame({ invite: tokens.invite, request: tokens.request }))
    const reply = await readMapFrame(stream, MAX_FRAME_BYTES, 'INVALID_ARGUMENT', 'redemption')
    if (reply['ok'] === true && typeof reply['grant'] === 'string') return { grant: reply['grant'] }
    const code = typeof reply['code'] === 'string' ? (reply['code'] as AccessErrorCode) : 'INVALID_ARGUMENT'
    const message = typeof reply['message'] === 'string' ? reply['message'].slice(0, 500) : 'the admin device refused without a reason'
    throw new AccessError(code, message)
  } finally {
    if (stream.status === 'open') await stream.close().catch(() => undefined)
  }
}
