/**
 * Operations a compute peer (and a user) performs on a code cell's results: outputs, execution count and
 * execution state. Outputs are changed in place (appends, per-item deletes) so that a peer streaming
 * output and another peer clearing concurrently both keep what they did (N14).
 */
import { splice } from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { isRecord, asString } from '../read/guards.js'
import { openCells, requireCodeCell, requireInteger, textLength } from './doc-access.js'
import { parseOutput, type Fail } from './parse-output.js'
import { atom, toStored, toStoredBundle, toStoredObject } from './stored-json.js'
import { EXECUTION_STATUSES, type ExecutionState, type NotebookDoc, type Output, type OutputDoc, type StoredJson } from './types.js'

type ListProxy = unknown[] & { deleteAt(index: number, count?: number): void }

const failArgument: Fail = (path, message) => {
  throw new CrdtError('INVALID_ARGUMENT', `output${path} ${message}.`)
}

/** An output as stored: strings atomic, except a stream's text, which is collaborative text (appendable). */
export function outputToDoc(output: Output): OutputDoc {
  switch (output.output_type) {
    case 'stream':
      return { output_type: atom('stream'), name: atom(output.name), text: output.text }
    case 'display_data':
      return { output_type: atom('display_data'), data: toStoredBundle(output.data), metadata: toStoredObject(output.metadata) }
    case 'execute_result':
      return {
        output_type: atom('execute_result'),
        data: toStoredBundle(output.data),
        metadata: toStoredObject(output.metadata),
        execution_count: output.execution_count,
      }
    case 'error':
      return {
        output_type: atom('error'),
        ename: atom(output.ename),
        evalue: atom(output.evalue),
        traceback: output.traceback.map((line) => atom(line)),
      }
  }
}

/**
 * Appends an output to a code cell. A stream output right after a stream output of the same name is
 * appended to that output's text instead (N13), which costs one text insertion however long the stream.
 */
export function appendOutput(doc: NotebookDoc, id: string, output: Output): void {
  const root = openCells(doc)
  const cell = requireCodeCell(root, id, 'outputs')
  const parsed = parseOutput(output, '', failArgument)
  if (!Array.isArray(cell['outputs'])) cell['outputs'] = []
  const outputs = cell['outputs'] as unknown[]
  const lastIndex = outputs.length - 1
  const last = outputs[lastIndex]
  const stream = parsed.output_type === 'stream' ? parsed : undefined
  if (stream && isRecord(last) && asString(last['output_type']) === 'stream' && asString(last['name']) === stream.name) {
    const path = ['cells', id, 'outputs', lastIndex, 'text']
    const length = textLength(doc, path)
    if (length !== undefined) {
      if (stream.text.length > 0) splice(doc, path, length, 0, stream.text)
      return
    }
  }
  outputs.push(outputToDoc(parsed))
}

/** Removes every output the cell has now; outputs appended concurrently by another peer stay. */
export function clearOutputs(doc: NotebookDoc, id: string): void {
  const root = openCells(doc)
  const cell = requireCodeCell(root, id, 'outputs')
  const outputs = cell['outputs']
  if (!Array.isArray(outputs)) {
    cell['outputs'] = []
    return
  }
  if (outputs.length > 0) (outputs as ListProxy).deleteAt(0, outputs.length)
}

/** Sets the prompt number shown beside a code cell (`null`: not run). */
export function setExecutionCount(doc: NotebookDoc, id: string, count: number | null): void {
  const root = openCells(doc)
  const cell = requireCodeCell(root, id, 'an execution count')
  if (count !== null) requireInteger(count, 0, Number.MAX_SAFE_INTEGER, 'count')
  cell['executionCount'] = count
}

/**
 * Replaces a code cell's execution state as one value, so concurrent writers never mix the fields of two
 * states: the last writer (by Automerge's order) wins whole (N15).
 */
export function setExecutionState(doc: NotebookDoc, id: string, state: ExecutionState): void {
  const root = openCells(doc)
  const cell = requireCodeCell(root, id, 'an execution state')
  cell['execution'] = executionToDoc(state)
}

function executionToDoc(state: ExecutionState): { [key: string]: StoredJson } {
  if (typeof state !== 'object' || state === null) {
    throw new CrdtError('INVALID_ARGUMENT', 'state must be an object { status, requestedBy?, requestedAt?, startedAt?, finishedAt? }.')
  }
  if (!EXECUTION_STATUSES.includes(state.status)) {
    throw new CrdtError('INVALID_ARGUMENT', `state.status must be one of ${EXECUTION_STATUSES.join(', ')}, got ${JSON.stringify(String(state.status))}.`)
  }
  const out: { [key: string]: StoredJson } = { status: atom(state.status) }
  if (state.requestedBy !== undefined) {
    if (typeof state.requestedBy !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(state.requestedBy)) {
      throw new CrdtError('INVALID_ARGUMENT', 'state.requestedBy must be a peer id string (1 to 256 visible ASCII characters).')
    }
    out['requestedBy'] = atom(state.requestedBy)
  }
  for (const key of ['requestedAt', 'startedAt', 'finishedAt'] as const) {
    const time = state[key]
    if (time === undefined) continue
    if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
      throw new CrdtError('INVALID_ARGUMENT', `state.${key} must be a time in milliseconds since 1970 (a finite number >= 0).`)
    }
    out[key] = toStored(time)
  }
  return out
}
