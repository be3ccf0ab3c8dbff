/** The .ipynb (nbformat 4.5) shapes that `exportIpynb` returns. */
import type { JsonObject, JsonValue } from './types.js'

/** nbformat's multi-line string: Quire writes lists of lines, each but the last ending in "\n". */
export type MultilineString = string | string[]

/** A mime bundle as written to a file: JSON types hold any JSON, the others a multi-line string. */
export type IpynbMimeBundle = Record<string, MultilineString | JsonValue>

export interface IpynbStreamOutput {
  output_type: 'stream'
  name: string
  text: MultilineString
}

export interface IpynbDisplayDataOutput {
  output_type: 'display_data'
  data: IpynbMimeBundle
  metadata: JsonObject
}

export interface IpynbExecuteResultOutput {
  output_type: 'execute_result'
  data: IpynbMimeBundle
  metadata: JsonObject
  execution_count: number | null
}

export interface IpynbErrorOutput {
  output_type: 'error'
  ename: string
  evalue: string
  traceback: string[]
}

export type IpynbOutput = IpynbStreamOutput | IpynbDisplayDataOutput | IpynbExecuteResultOutput | IpynbErrorOutput

export interface IpynbCodeCell {
  id: string
  cell_type: 'code'
  metadata: JsonObject
  source: MultilineString
  outputs: IpynbOutput[]
  execution_count: number | null
}

export interface IpynbTextCell {
  id: string
  cell_type: 'markdown' | 'raw'
  metadata: JsonObject
  source: MultilineString
  attachments?: Record<string, IpynbMimeBundle>
}

export type IpynbCell = IpynbCodeCell | IpynbTextCell

/** A whole notebook in nbformat 4.5; `JSON.stringify(nb, null, 1)` gives the usual file layout. */
export interface IpynbNotebook {
  nbformat: 4
  nbformat_minor: 5
  metadata: JsonObject
  cells: IpynbCell[]
}
