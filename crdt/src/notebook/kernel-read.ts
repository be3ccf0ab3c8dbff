/**
 * Reading the kernel area from an untrusted notebook document (N27): never throws; a malformed state or
 * offer reads as absent and a malformed request is left out, each with a problem.
 */
import { asString, isRecord, type Problem } from '../read/guards.js'
import { isCellId } from './cell-id.js'
import { kernelRequestMaps } from './kernel-request-maps.js'
import { describe, escapeKey } from './stored-json.js'
import {
  KERNEL_ACTIONS,
  KERNEL_STATUSES,
  type ComputeOffer,
  type KernelAction,
  type KernelRead,
  type KernelRequest,
  type KernelState,
  type KernelStatusName,
  type OfferedKernel,
} from './kernel-types.js'

/** Reads `kernel`, `kernelRequests` and `compute` of any value; see the module comment. */
export function readKernel(doc: unknown): KernelRead {
  const problems: Problem[] = []
  try {
    if (!isRecord(doc)) return { state: undefined, requests: [], offer: undefined, problems: [{ path: '', message: `the document is ${describe(doc)}, not an object` }] }
    return {
      state: readState(doc['kernel'], problems),
      requests: readRequests(doc, problems),
      offer: readOffer(doc['compute'], problems),
      problems,
    }
  } catch (cause) {
    problems.push({ path: '', message: `the kernel area could not be read: ${String(cause).slice(0, 200)}` })
    return { state: undefined, requests: [], offer: undefined, problems }
  }
}

const time = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined)

function readState(value: unknown, problems: Problem[]): KernelState | undefined {
  if (value === undefined || value === null) return undefined
  const peer = isRecord(value) ? asString(value['peer']) : undefined
  const spec = isRecord(value) ? asString(value['spec']) : undefined
  const status = isRecord(value) ? asString(value['status']) : undefined
  const updatedAt = isRecord(value) ? time(value['updatedAt']) : undefined
  if (!isRecord(value) || peer === undefined || spec === undefined || updatedAt === undefined || !(KERNEL_STATUSES as readonly string[]).includes(status ?? '')) {
    problems.push({ path: '/kernel', message: 'needs peer, spec, a known status and updatedAt; read as no kernel' })
    return undefined
  }
  const message = asString(value['message'])
  return { peer, spec, status: status as KernelStatusName, updatedAt, ...(message !== undefined && { message }) }
}

function readRequests(doc: Record<string, unknown>, problems: Problem[]): KernelRequest[] {
  const field = doc['kernelRequests']
  if (field !== undefined && !isRecord(field)) problems.push({ path: '/kernelRequests', message: `is ${describe(field)}, not a map; read as none` })
  const byId = new Map<string, KernelRequest>()
  for (const value of kernelRequestMaps(doc)) for (const request of readRequestMap(value, problems)) {
    // The same id in two conflicting maps is one request; a handled copy says more.
    const seen = byId.get(request.id)
    if (seen === undefined || (seen.handledAt === undefined && request.handledAt !== undefined)) byId.set(request.id, request)
  }
  return [...byId.values()].sort((a, b) => a.requestedAt - b.requestedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

function readRequestMap(value: Record<string, unknown>, problems: Problem[]): KernelRequest[] {
  const out: KernelRequest[] = []
  for (const id of Object.keys(value)) {
    const path = `/kernelRequests/${escapeKey(id)}`
    const raw = value[id]
    const action = isRecord(raw) ? asString(raw['action']) : undefined
    const requestedBy = isRecord(raw) ? asString(raw['requestedBy']) : undefined
    const requestedAt = isRecord(raw) ? time(raw['requestedAt']) : undefined
    if (!isCellId(id) || !isRecord(raw) || requestedBy === undefined || requestedAt === undefined || !(KERNEL_ACTIONS as readonly string[]).includes(action ?? '')) {
      problems.push({ path, message: 'a request needs a valid id, a known action, requestedBy and requestedAt; left out' })
      continue
    }
    const handledAt = time(raw['handledAt'])
    const handledBy = asString(raw['handledBy'])
    const refused = asString(raw['refused'])
    out.push({
      id, action: action as KernelAction, requestedBy, requestedAt,
      ...(handledAt !== undefined && { handledAt }),
      ...(handledBy !== undefined && { handledBy }),
      ...(refused !== undefined && { refused }),
    })
  }
  return out
}

function readOffer(value: unknown, problems: Problem[]): ComputeOffer | undefined {
  if (value === undefined || value === null) return undefined
  const fail = (): undefined => {
    problems.push({ path: '/compute', message: 'needs peer, kernels, limits, network, notes, onlineSince and updatedAt; read as no offer' })
    return undefined
  }
  if (!isRecord(value)) return fail()
  const peer = asString(value['peer'])
  const onlineSince = time(value['onlineSince'])
  const updatedAt = time(value['updatedAt'])
  const network = value['network']
  if (peer === undefined || onlineSince === undefined || updatedAt === undefined || typeof network !== 'boolean') return fail()
  if (!Array.isArray(value['kernels']) || !Array.isArray(value['notes']) || !isRecord(value['limits'])) return fail()
  const kernels: OfferedKernel[] = []
  for (const k of value['kernels'] as unknown[]) {
    const name = isRecord(k) ? asString(k['name']) : undefined
    const displayName = isRecord(k) ? asString(k['displayName']) : undefined
    const language = isRecord(k) ? asString(k['language']) : undefined
    if (name === undefined || displayName === undefined || language === undefined) {
      problems.push({ path: '/compute/kernels', message: 'a kernel needs name, displayName and language; left out' })
      continue
    }
    kernels.push({ name, displayName, language })
  }
  const notes = (value['notes'] as unknown[]).map(asString).filter((n): n is string => n !== undefined)
  const limits: Record<string, number> = {}
  for (const key of ['memoryBytes', 'cpuSeconds', 'processes', 'fileSizeBytes']) {
    const n = value['limits'][key]
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) limits[key] = n
  }
  return { peer, kernels, limits, network, notes, onlineSince, updatedAt }
}
