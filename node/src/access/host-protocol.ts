/**
 * `/quire/host/1.0.0` (A33, RL16): an admin asks a relay to host a project. A relay that hosts by grants
 * knows nothing of a project until someone shows it one, and must not store a byte of a project whose
 * grants do not name it; so the request carries the project document and its grants document (small, and
 * bounded), the relay checks them in memory and either starts hosting or refuses and keeps nothing. One
 * request frame `{project, projectDoc, grantsDoc}` and one answer frame, `{ok: true}` or
 * `{ok: false, code, message}` (varint length + CBOR, as on the sync protocol).
 */
import { next as A } from '@automerge/automerge'
import { isValidDocumentId, type AnyDocumentId, type DocumentId, type Repo } from '@automerge/automerge-repo'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { mapFrame, readMapFrame, sendFinalFrame } from './cbor-frames.js'
import { AccessError, type AccessErrorCode } from './errors.js'
import { readProjectLinks } from './project-links.js'

export const HOST_PROTOCOL = '/quire/host/1.0.0'
/** A project document and a grants document: kilobytes, rarely more. Larger requests are refused. */
export const MAX_HOST_REQUEST_BYTES = 1024 * 1024
const DEFAULT_TIMEOUT_MS = 15_000

/** What a peer hands a relay to have a project hosted. */
export interface HostingRequest {
  /** The project document id. */
  readonly project: DocumentId
  /** `Automerge.save` of the project document. */
  readonly projectDoc: Uint8Array
  /** `Automerge.save` of its grants document. */
  readonly grantsDoc: Uint8Array
}

/** Options of {@link serveHostingRequests}. */
export interface HostingServiceInit {
  readonly libp2p: Pick<Libp2p, 'handle' | 'unhandle'>
  /** Decides and acts; throws an `AccessError` to refuse (its code and message go to the requester). */
  readonly handle: (request: HostingRequest, from: string) => Promise<void>
  readonly maxRequestBytes?: number
}

/** Answers hosting requests until stopped (a relay's side). */
export async function serveHostingRequests(init: HostingServiceInit): Promise<{ stop(): Promise<void> }> {
  const max = init.maxRequestBytes ?? MAX_HOST_REQUEST_BYTES
  await init.libp2p.handle(HOST_PROTOCOL, async (stream, connection) => {
    try {
      const frame = await readMapFrame(stream, max, 'HOST_REQUEST_INVALID', 'hosting')
      const project = frame['project']
      const projectDoc = frame['projectDoc']
      const grantsDoc = frame['grantsDoc']
      if (typeof project !== 'string' || !isValidDocumentId(project) || !(projectDoc instanceof Uint8Array) || !(grantsDoc instanceof Uint8Array)) {
        throw new AccessError('HOST_REQUEST_INVALID', 'A hosting request needs project (a document id), projectDoc and grantsDoc (Automerge.save bytes).')
      }
      await init.handle({ project, projectDoc, grantsDoc }, connection.remotePeer.toString())
      await sendFinalFrame(stream, { ok: true })
    } catch (err) {
      const e = err instanceof AccessError ? err : new AccessError('HOST_REQUEST_INVALID', `Bad hosting request: ${(err as Error).message}`)
      await sendFinalFrame(stream, { ok: false, code: e.code, message: e.message }).catch(() => stream.abort(e))
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: 4 })
  return { stop: () => init.libp2p.unhandle(HOST_PROTOCOL) }
}

/** Sends a hosting request to a relay; resolves once it hosts the project, else rejects with its code. */
export async function requestHosting(
  libp2p: Pick<Libp2p, 'dialProtocol'>, relay: PeerId | Multiaddr | Multiaddr[], request: HostingRequest, options: { signal?: AbortSignal } = {},
): Promise<void> {
  const signal = options.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(relay, HOST_PROTOCOL, { signal, runOnLimitedConnection: true })
  try {
    const body = mapFrame({ project: request.project, projectDoc: request.projectDoc, grantsDoc: request.grantsDoc })
    if (!stream.send(body)) await stream.onDrain({ signal })
    const reply = await readMapFrame(stream, 64 * 1024, 'HOST_REQUEST_INVALID', 'hosting')
    if (reply['ok'] === true) return
    const code = typeof reply['code'] === 'string' ? (reply['code'] as AccessErrorCode) : 'HOST_REQUEST_INVALID'
    const message = typeof reply['message'] === 'string' ? reply['message'].slice(0, 500) : 'the relay refused without a reason'
    throw new AccessError(code, message)
  } finally {
    if (stream.status === 'open') await stream.close().catch(() => undefined)
  }
}

/** The hosting request for a project this repo holds (its project document and linked grants document). */
export async function hostingRequestFor(repo: Repo, project: AnyDocumentId): Promise<HostingRequest> {
  const handle = await repo.find<unknown>(project)
  const links = readProjectLinks(handle.doc())
  if (links.grants === null) throw new AccessError('HOST_REQUEST_INVALID', `Document ${handle.documentId} is not a project with a grants document.`)
  const grants = await repo.find<unknown>(links.grants)
  return { project: handle.documentId, projectDoc: A.save(handle.doc() as A.Doc<unknown>), grantsDoc: A.save(grants.doc() as A.Doc<unknown>) }
}


