/**
 * Display outputs that a later `update_display_data` replaces in place (N28). Jupyter gives such an output a
 * display id in its `transient` part, which is never saved to .ipynb; here it is stored beside the output as
 * `transient: { display_id }`, which `readNotebook` and `exportIpynb` ignore (they read nbformat fields only).
 */
import { CrdtError } from '../errors.js'
import { asString, isRecord } from '../read/guards.js'
import { openCells, requireCodeCell } from './doc-access.js'
import { outputToDoc } from './output-ops.js'
import { parseOutput, type Fail } from './parse-output.js'
import { atom, toStoredBundle, toStoredObject } from './stored-json.js'
import type { DisplayDataOutput, JsonObject, MimeBundle, NotebookDoc } from './types.js'

const MAX_DISPLAY_ID = 256

const failArgument: Fail = (path, message) => {
  throw new CrdtError('INVALID_ARGUMENT', `output${path} ${message}.`)
}

function requireDisplayId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_DISPLAY_ID) {
    throw new CrdtError('INVALID_ARGUMENT', `displayId must be a non-empty string of at most ${MAX_DISPLAY_ID} characters.`)
  }
  return value
}

/** Appends a display_data output that carries `displayId`, so {@link updateDisplayData} can find it. */
export function appendDisplayData(doc: NotebookDoc, id: string, output: DisplayDataOutput, displayId: string): void {
  const root = openCells(doc)
  const cell = requireCodeCell(root, id, 'outputs')
  const display = requireDisplayId(displayId)
  const parsed = parseOutput(output, '', failArgument)
  if (parsed.output_type !== 'display_data') throw new CrdtError('INVALID_ARGUMENT', 'appendDisplayData takes a display_data output.')
  if (!Array.isArray(cell['outputs'])) cell['outputs'] = []
  ;(cell['outputs'] as unknown[]).push({ ...outputToDoc(parsed), transient: { display_id: atom(display) } })
}

/**
 * Replaces `data` and `metadata` of every output, in any code cell, whose display id is `displayId`; the
 * outputs keep their place. Returns how many were replaced (0: nothing had that id, nothing changed).
 */
export function updateDisplayData(doc: NotebookDoc, displayId: string, update: { data: MimeBundle; metadata: JsonObject }): number {
  const root = openCells(doc)
  const display = requireDisplayId(displayId)
  const parsed = parseOutput({ output_type: 'display_data', data: update.data, metadata: update.metadata }, '', failArgument)
  if (parsed.output_type !== 'display_data') return 0
  let replaced = 0
  for (const cell of Object.values(root.cells)) {
    if (!isRecord(cell) || !Array.isArray(cell['outputs'])) continue
    for (const output of cell['outputs'] as unknown[]) {
      if (!isRecord(output) || !isRecord(output['transient'])) continue
      if (asString(output['transient']['display_id']) !== display) continue
      output['data'] = toStoredBundle(parsed.data)
      output['metadata'] = toStoredObject(parsed.metadata)
      replaced++
    }
  }
  return replaced
}

/** The display id stored with an output (any value), or undefined. */
export function displayIdOf(output: unknown): string | undefined {
  return isRecord(output) && isRecord(output['transient']) ? asString(output['transient']['display_id']) : undefined
}
