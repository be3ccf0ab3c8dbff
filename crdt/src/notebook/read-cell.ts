/**
 * Reading one cell and its outputs from an untrusted document. A cell that cannot be shown faithfully comes
 * back as a `BrokenCell` with its problems; smaller faults (bad metadata, one junk output) are tolerated,
 * defaulted and reported, so one bad field never hides a whole cell (N17, N18).
 */
import { isRecord, type Problem, asString } from '../read/guards.js'
import { isCellId } from './cell-id.js'
import { describe, escapeKey, fromStoredObject, readBundle, readMultiline, storableKeys } from './stored-json.js'
import { CELL_TYPES, EXECUTION_STATUSES, type BrokenOutput, type CellRead, type CellType, type ExecutionState, type ExecutionStatus, type JsonObject, type MimeBundle, type Output } from './types.js'

export function readCell(id: string, value: unknown, problems: Problem[]): CellRead {
  const path = `/cells/${escapeKey(id)}`
  const broken = (message: string): CellRead => ({ cellType: 'broken', id, problems: [{ path, message }] })
  if (!isCellId(id)) return broken('the cell id is not a valid nbformat id (1 to 64 letters, digits, "-" or "_")')
  if (!isRecord(value)) return broken(`the cell is ${describe(value)}, not an object`)
  const type = asString(value['cellType'])
  if (type === undefined || !(CELL_TYPES as readonly string[]).includes(type)) {
    return broken(type === undefined ? 'the cell has no cellType' : `unknown cellType ${JSON.stringify(type.slice(0, 40))}`)
  }
  const source = asString(value['source'])
  if (source === undefined) {
    const found = value['source'] === undefined ? 'missing' : describe(value['source'])
    return broken(`the cell's source is ${found}, not text`)
  }
  const metadata = fromStoredObject(value['metadata'], `${path}/metadata`, problems)
  if ((type as CellType) === 'code') {
    return {
      cellType: 'code',
      id,
      source,
      metadata,
      outputs: readOutputs(value['outputs'], `${path}/outputs`, problems),
      executionCount: readCount(value['executionCount'], `${path}/executionCount`, problems),
      execution: readExecution(value['execution'], `${path}/execution`, problems),
    }
  }
  return {
    cellType: type as 'markdown' | 'raw',
    id,
    source,
    metadata,
    attachments: readAttachments(value['attachments'], `${path}/attachments`, problems),
  }
}

function readOutputs(value: unknown, path: string, problems: Problem[]): (Output | BrokenOutput)[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) {
    problems.push({ path, message: `outputs is ${describe(value)}, not a list; read as none` })
    return []
  }
  return (value as unknown[]).map((item, i) => readOutput(item, `${path}/${i}`, problems))
}

/** One stored output; tolerated faults go to `problems`, fatal ones make a `BrokenOutput`. */
export function readOutput(value: unknown, path: string, problems: Problem[]): Output | BrokenOutput {
  const broken = (message: string): BrokenOutput => ({ output_type: 'broken', problems: [{ path, message }] })
  if (!isRecord(value)) return broken(`the output is ${describe(value)}, not an object`)
  const type = asString(value['output_type'])
  switch (type) {
    case 'stream': {
      const name = asString(value['name'])
      const text = readMultiline(value['text'])
      if (name === undefined || text === undefined) return broken('a stream output needs a name and text')
      return { output_type: 'stream', name, text }
    }
    case 'display_data':
    case 'execute_result': {
      if (!isRecord(value['data'])) return broken(`a ${type} output needs a data bundle`)
      const data: MimeBundle = readBundle(value['data'], `${path}/data`, problems)
      const metadata: JsonObject = fromStoredObject(value['metadata'], `${path}/metadata`, problems)
      if (type === 'display_data') return { output_type: 'display_data', data, metadata }
      const count = readCount(value['execution_count'], `${path}/execution_count`, problems)
      return { output_type: 'execute_result', data, metadata, execution_count: count }
    }
    case 'error': {
      const ename = asString(value['ename'])
      const evalue = asString(value['evalue'])
      const traceback = Array.isArray(value['traceback']) ? (value['traceback'] as unknown[]).map(asString) : undefined
      if (ename === undefined || evalue === undefined || traceback === undefined || traceback.some((l) => l === undefined)) {
        return broken('an error output needs ename, evalue and a traceback of strings')
      }
      return { output_type: 'error', ename, evalue, traceback: traceback as string[] }
    }
    default:
      return broken(type === undefined ? 'the output has no output_type' : `unknown output_type ${JSON.stringify(type.slice(0, 40))}`)
  }
}

function readCount(value: unknown, path: string, problems: Problem[]): number | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  problems.push({ path, message: 'not a whole number >= 0; read as null' })
  return null
}

function readAttachments(value: unknown, path: string, problems: Problem[]): Record<string, MimeBundle> {
  const out: Record<string, MimeBundle> = {}
  if (value === undefined) return out
  if (!isRecord(value)) {
    problems.push({ path, message: `attachments is ${describe(value)}, not an object; read as none` })
    return out
  }
  for (const name of storableKeys(value)) out[name] = readBundle(value[name], `${path}/${escapeKey(name)}`, problems)
  return out
}

const IDLE: ExecutionState = { status: 'idle' }

export function readExecution(value: unknown, path: string, problems: Problem[]): ExecutionState {
  if (value === undefined) return IDLE
  if (!isRecord(value)) {
    problems.push({ path, message: `execution is ${describe(value)}, not an object; read as idle` })
    return IDLE
  }
  const status = asString(value['status'])
  if (status === undefined || !(EXECUTION_STATUSES as readonly string[]).includes(status)) {
    problems.push({ path: `${path}/status`, message: 'not a known execution status; read as idle' })
    return IDLE
  }
  const state: { -readonly [K in keyof ExecutionState]: ExecutionState[K] } = { status: status as ExecutionStatus }
  const requestedBy = asString(value['requestedBy'])
  if (requestedBy !== undefined) state.requestedBy = requestedBy
  for (const key of ['requestedAt', 'startedAt', 'finishedAt'] as const) {
    const time = value[key]
    if (time === undefined) continue
    if (typeof time === 'number' && Number.isFinite(time) && time >= 0) state[key] = time
    else problems.push({ path: `${path}/${key}`, message: 'not a time (milliseconds since 1970); left out' })
  }
  return state
}
