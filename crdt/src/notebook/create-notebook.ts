/** A new, empty notebook document. */
import { from, type Doc } from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { asString, isRecord } from '../read/guards.js'
import { atom, toStoredObject } from './stored-json.js'
import type { JsonObject, NotebookDoc } from './types.js'

/** The `type` tag of a notebook document. */
export const NOTEBOOK_TYPE = 'quire/notebook'

/** The notebook schema version this code writes (N1). Readers accept newer versions, best effort. */
export const NOTEBOOK_SCHEMA_VERSION = 1

/** What a new notebook says about its kernel. */
export interface NotebookInit {
  readonly kernelspec?: { name: string; display_name: string; language?: string }
  /** `metadata.language_info.name`; defaults to the kernelspec's language. */
  readonly language?: string
}

/**
 * A new notebook as an Automerge document with no cells (N1). Use it directly with `Automerge.change`, or
 * pass it to `repo.create()` / `Automerge.from()`, which copy it.
 */
export function createNotebook(init: NotebookInit = {}): Doc<NotebookDoc> {
  return from(notebookValue(notebookMetadata(init)) as unknown as Record<string, unknown>) as unknown as Doc<NotebookDoc>
}

/** The initial value of a notebook root, with `metadata` as given (plain JSON) and no cells. */
export function notebookValue(metadata: JsonObject): NotebookDoc {
  return {
    type: atom(NOTEBOOK_TYPE),
    schemaVersion: NOTEBOOK_SCHEMA_VERSION,
    metadata: toStoredObject(metadata),
    cellOrder: [],
    cells: {},
    kernelRequests: {},
  }
}

function notebookMetadata(init: NotebookInit): JsonObject {
  if (typeof init !== 'object' || init === null) throw new CrdtError('INVALID_ARGUMENT', 'createNotebook takes { kernelspec?, language? }.')
  const metadata: JsonObject = {}
  const { kernelspec, language } = init
  if (kernelspec !== undefined) {
    if (typeof kernelspec?.name !== 'string' || typeof kernelspec.display_name !== 'string') {
      throw new CrdtError('INVALID_ARGUMENT', 'kernelspec needs string name and display_name, e.g. { name: "python3", display_name: "Python 3" }.')
    }
    if (kernelspec.language !== undefined && typeof kernelspec.language !== 'string') {
      throw new CrdtError('INVALID_ARGUMENT', 'kernelspec.language must be a string.')
    }
    metadata['kernelspec'] = {
      name: kernelspec.name,
      display_name: kernelspec.display_name,
      ...(kernelspec.language === undefined ? {} : { language: kernelspec.language }),
    }
  }
  if (language !== undefined && typeof language !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'language must be a string.')
  const languageName = language ?? kernelspec?.language
  if (languageName !== undefined) metadata['language_info'] = { name: languageName }
  return metadata
}

/**
 * Inside a change: sets the notebook's kernel (N29): `metadata.kernelspec` replaced as one value and
 * `metadata.language_info.name` set to the kernelspec's language (other `language_info` fields, which
 * describe the previous kernel's language, are dropped when the language changes). The compute peer starts
 * this kernel for the next cell it runs.
 */
export function setKernelspec(doc: NotebookDoc, kernelspec: { name: string; display_name: string; language?: string }): void {
  const metadata = (doc as unknown as { metadata?: unknown }).metadata
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new CrdtError('INVALID_NOTEBOOK', 'This notebook has no metadata map to set the kernel in. It may be corrupt.')
  }
  const wanted = notebookMetadata({ kernelspec })
  const target = metadata as Record<string, unknown>
  target['kernelspec'] = toStoredObject(wanted['kernelspec'] as JsonObject)
  const language = kernelspec.language
  if (language === undefined) return
  const current = target['language_info']
  if (isRecord(current) && asString(current['name']) === language) return
  target['language_info'] = toStoredObject({ name: language })
}
