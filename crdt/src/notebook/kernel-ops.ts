/**
 * Writing the kernel area (N22 to N26). The compute peer writes `kernel` (its state) and `compute` (its
 * offer), each as one value; members add requests under `kernelRequests`, a map keyed by request id so
 * concurrent requests all survive and a request re-synced twice counts once.
 */
import { CrdtError } from '../errors.js'
import { isRecord } from '../read/guards.js'
import { isCellId, newCellId, requireCellId } from './cell-id.js'
import { kernelRequestMaps } from './kernel-request-maps.js'
import { atom, toStored } from './stored-json.js'
import { KERNEL_ACTIONS, KERNEL_STATUSES, type ComputeOffer, type KernelAction, type KernelState } from './kernel-types.js'
import type { NotebookDoc, StoredJson } from './types.js'

type Root = Record<string, unknown>

const PEER_ID = /^[\x21-\x7e]{1,256}$/
const MAX_MESSAGE = 4096
const LIMIT_KEYS = ['memoryBytes', 'cpuSeconds', 'processes', 'fileSizeBytes'] as const

function rootOf(doc: NotebookDoc): Root {
  const root = doc as unknown as Root
  if (!isRecord(root)) throw new CrdtError('INVALID_NOTEBOOK', 'This is not a notebook document (not an object).')
  return root
}

function bad(message: string): never {
  throw new CrdtError('INVALID_ARGUMENT', message)
}

function requirePeer(value: unknown, what: string): string {
  if (typeof value !== 'string' || !PEER_ID.test(value)) bad(`${what} must be a peer id string (1 to 256 visible ASCII characters).`)
  return value
}

function requireTime(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) bad(`${what} must be a time in milliseconds since 1970 (a finite number >= 0).`)
  return value
}

function requireText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length > max) bad(`${what} must be a string of at most ${max} characters.`)
  return value
}

/** Replaces the kernel state as one value (N22): the compute peer's latest word wins whole. */
export function setKernelState(doc: NotebookDoc, state: KernelState): void {
  const root = rootOf(doc)
  if (!isRecord(state)) bad('state must be { peer, spec, status, message?, updatedAt }.')
  if (!KERNEL_STATUSES.includes(state.status)) bad(`state.status must be one of ${KERNEL_STATUSES.join(', ')}.`)
  const stored: Record<string, StoredJson> = {
    peer: atom(requirePeer(state.peer, 'state.peer')),
    spec: atom(requireText(state.spec, 'state.spec', 256)),
    status: atom(state.status),
    updatedAt: requireTime(state.updatedAt, 'state.updatedAt'),
  }
  if (state.message !== undefined) stored['message'] = atom(requireText(state.message, 'state.message', MAX_MESSAGE))
  root['kernel'] = stored
}

/** What a member passes to {@link requestKernel}. */
export interface KernelRequestInit {
  readonly action: KernelAction
  readonly requestedBy: string
  /** Defaults to now. */
  readonly requestedAt?: number
  /** A request id (nbformat cell id pattern); generated when absent. */
  readonly id?: string
}

/** Adds an interrupt or restart request (N23) and returns its id. */
export function requestKernel(doc: NotebookDoc, init: KernelRequestInit): string {
  const root = rootOf(doc)
  if (!isRecord(init)) bad('requestKernel needs { action, requestedBy, requestedAt?, id? }.')
  if (!KERNEL_ACTIONS.includes(init.action)) bad(`action must be one of ${KERNEL_ACTIONS.join(', ')}.`)
  const requestedBy = requirePeer(init.requestedBy, 'requestedBy')
  const requestedAt = requireTime(init.requestedAt ?? Date.now(), 'requestedAt')
  if (!isRecord(root['kernelRequests'])) root['kernelRequests'] = {}
  const requests = root['kernelRequests'] as Root
  const taken = (c: string): boolean => kernelRequestMaps(doc).some((m) => Object.hasOwn(m, c))
  const id = init.id === undefined ? newCellId(taken) : requireCellId(init.id, 'id')
  if (taken(id)) bad(`A kernel request with id ${JSON.stringify(id)} already exists; pick another id or omit it.`)
  requests[id] = { action: atom(init.action), requestedBy: atom(requestedBy), requestedAt }
  return id
}

/**
 * Marks a request as acted on (N24), with the reason when it was refused. Returns false (and changes
 * nothing) when the request was already handled or is not there.
 */
export function markKernelRequestHandled(doc: NotebookDoc, id: string, handled: { by: string; at: number; refused?: string }): boolean {
  if (!isCellId(id)) bad('id must be a kernel request id.')
  const by = requirePeer(handled.by, 'by')
  const at = requireTime(handled.at, 'at')
  const refused = handled.refused === undefined ? undefined : requireText(handled.refused, 'refused', MAX_MESSAGE)
  rootOf(doc)
  const requests = kernelRequestMaps(doc).map((m) => m[id]).filter(isRecord)
  if (requests.length === 0 || requests.some((r) => r['handledAt'] !== undefined)) return false
  for (const request of requests) {
    request['handledAt'] = at
    request['handledBy'] = atom(by)
    if (refused !== undefined) request['refused'] = atom(refused)
  }
  return true
}

/** Deletes handled requests (and junk entries) older than `before`, so the map does not grow for ever (N25). */
export function pruneKernelRequests(doc: NotebookDoc, before: number): number {
  rootOf(doc)
  requireTime(before, 'before')
  let removed = 0
  for (const requests of kernelRequestMaps(doc)) for (const id of Object.keys(requests)) {
    const request = requests[id]
    const handledAt = isRecord(request) ? request['handledAt'] : undefined
    const junk = !isRecord(request) || !isCellId(id)
    if (junk || (typeof handledAt === 'number' && handledAt < before)) {
      delete requests[id]
      removed++
    }
  }
  return removed
}

/** Replaces the compute peer's offer as one value (N26). */
export function setComputeOffer(doc: NotebookDoc, offer: ComputeOffer): void {
  const root = rootOf(doc)
  if (!isRecord(offer)) bad('offer must be { peer, kernels, limits, network, notes, onlineSince, updatedAt }.')
  if (!Array.isArray(offer.kernels)) bad('offer.kernels must be a list of { name, displayName, language }.')
  const kernels = offer.kernels.map((k, i) => {
    if (!isRecord(k)) bad(`offer.kernels[${i}] must be { name, displayName, language }.`)
    return {
      name: requireText(k.name, `offer.kernels[${i}].name`, 256),
      displayName: requireText(k.displayName, `offer.kernels[${i}].displayName`, 256),
      language: requireText(k.language, `offer.kernels[${i}].language`, 256),
    }
  })
  const limits: Record<string, number> = {}
  if (!isRecord(offer.limits)) bad('offer.limits must be an object of numbers.')
  for (const key of LIMIT_KEYS) {
    const value = offer.limits[key]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) bad(`offer.limits.${key} must be a whole number >= 0.`)
    limits[key] = value
  }
  if (typeof offer.network !== 'boolean') bad('offer.network must be true or false.')
  if (!Array.isArray(offer.notes)) bad('offer.notes must be a list of strings.')
  const notes = offer.notes.map((n, i) => requireText(n, `offer.notes[${i}]`, MAX_MESSAGE))
  root['compute'] = toStored({
    peer: requirePeer(offer.peer, 'offer.peer'),
    kernels,
    limits,
    network: offer.network,
    notes,
    onlineSince: requireTime(offer.onlineSince, 'offer.onlineSince'),
    updatedAt: requireTime(offer.updatedAt, 'offer.updatedAt'),
  })
}
