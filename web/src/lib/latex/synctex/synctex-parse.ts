/**
 * Reads a SyncTeX file (the text inside `.synctex.gz`) into a compact index: one row per record in typed
 * arrays, so that a 100-page paper (hundreds of thousands of records) costs a few megabytes and no object
 * per record. Queries are in `synctex-query.ts`.
 *
 * The format (SyncTeX version 1, as TeX Live's engines write it), one record per line:
 * - a preamble (`SyncTeX Version:1`, `Input:<tag>:<path>`, `Unit:`, `Magnification:`, `X Offset:`, …),
 *   then `Content:`;
 * - `{<page>` opens a sheet, `}<page>` closes it; `[`/`]` open and close a vbox, `(`/`)` an hbox, each
 *   opening written `<tag>,<line>:<h>,<v>:<W>,<H>,<D>`; `h`/`v` are void boxes with the same fields; `k`
 *   (kern, `:W`), `g` (glue), `$` (math) and `x` (a current point) are points `<tag>,<line>:<h>,<v>`; `r` is
 *   a rule with a size; `<`/`>` and `f` are forms and their references; `!<n>` lines are byte offsets;
 *   `Input:` lines also appear among the content when TeX opens a file late;
 * - `Postamble:` and what follows are bookkeeping.
 * Coordinates are integers in units of `Unit` scaled points, from the page's top-left corner, `v` the
 * baseline. LuaTeX also writes boxes it ships out as reusable forms as a block `{1 … }0`: a block closed by
 * another number than it opened with is not a page, and is dropped.
 */

/** Record kinds, as stored in {@link SynctexIndex.kind}. */
export const RecordKind = {
  VBox: 1, HBox: 2, VoidVBox: 3, VoidHBox: 4, Kern: 5, Glue: 6, Math: 7, Current: 8, Rule: 9, Form: 10,
} as const
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind]

/** The parsed file. Rows are records in file order; positions and sizes are PDF points (bp), y downwards. */
export interface SynctexIndex {
  /** Source files by SyncTeX tag, with the path as TeX opened it. */
  readonly inputs: ReadonlyMap<number, string>
  readonly count: number
  readonly kind: Uint8Array
  readonly tag: Int32Array
  readonly line: Int32Array
  /** 1-based page of each record. */
  readonly page: Int32Array
  /** The enclosing box's row, or -1 at the top of a page. */
  readonly parent: Int32Array
  /** Left edge. */
  readonly h: Float32Array
  /** Baseline. */
  readonly v: Float32Array
  readonly width: Float32Array
  readonly height: Float32Array
  readonly depth: Float32Array
  /** The number of pages with at least one record (the highest page number seen). */
  readonly pages: number
}

/** Scaled points per PDF point (big point): 65536 sp/pt × 72.27 pt/in ÷ 72 bp/in. */
const SP_PER_BP = 65781.76

const KIND_OF: Readonly<Record<string, RecordKind>> = {
  '[': RecordKind.VBox, '(': RecordKind.HBox, v: RecordKind.VoidVBox, h: RecordKind.VoidHBox, k: RecordKind.Kern,
  g: RecordKind.Glue, $: RecordKind.Math, x: RecordKind.Current, r: RecordKind.Rule, '<': RecordKind.Form,
}

/** Growable columns, turned into typed arrays at the end (a typed array cannot grow in place). */
class Columns {
  kind: number[] = []
  tag: number[] = []
  line: number[] = []
  page: number[] = []
  parent: number[] = []
  h: number[] = []
  v: number[] = []
  width: number[] = []
  height: number[] = []
  depth: number[] = []

  get length(): number { return this.kind.length }

  truncate(length: number): void {
    for (const column of [this.kind, this.tag, this.line, this.page, this.parent, this.h, this.v, this.width, this.height, this.depth]) column.length = length
  }
}

const RECORD = /^(-?\d+),(-?\d+):(-?\d+),(-?\d+)(?::(-?\d+)(?:,(-?\d+),(-?\d+))?)?/

/** Thrown for a file that is not SyncTeX at all; a damaged record inside a good file is skipped instead. */
export class SynctexFormatError extends Error {
  readonly code = 'SYNCTEX_NOT_SYNCTEX'
}

/** Parses the decompressed text of a `.synctex(.gz)` file. */
export function parseSynctex(text: string): SynctexIndex {
  if (!text.startsWith('SyncTeX Version:')) {
    throw new SynctexFormatError('This is not a SyncTeX file (it does not start with "SyncTeX Version:"); rebuild to make a new one.')
  }
  const inputs = new Map<number, string>()
  let unit = 1
  let magnification = 1000
  let xOffset = 0
  let yOffset = 0
  let scale = 1 / SP_PER_BP
  const cols = new Columns()
  let inContent = false
  /** Open boxes on the current sheet, innermost last. */
  const open: number[] = []
  /** The sheet being read (0: none) and where its rows start, to drop it if it turns out to be a form. */
  let sheet = 0
  let sheetStart = 0
  let pages = 0
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    const line = text.slice(start, end)
    start = end + 1
    if (line.startsWith('Input:')) {
      const colon = line.indexOf(':', 6)
      const tag = Number(line.slice(6, colon))
      if (colon > 6 && Number.isInteger(tag)) inputs.set(tag, line.slice(colon + 1))
      continue
    }
    if (!inContent) {
      if (line.startsWith('Unit:')) unit = numberOr(line.slice(5), 1)
      else if (line.startsWith('Magnification:')) magnification = numberOr(line.slice(14), 1000)
      else if (line.startsWith('X Offset:')) xOffset = numberOr(line.slice(9), 0)
      else if (line.startsWith('Y Offset:')) yOffset = numberOr(line.slice(9), 0)
      else if (line === 'Content:') {
        inContent = true
        scale = (unit * (magnification > 0 ? magnification : 1000)) / 1000 / SP_PER_BP
      }
      continue
    }
    const first = line[0]
    if (first === undefined || first === '!') continue
    if (line.startsWith('Postamble:')) break
    if (first === '{') {
      sheet = Number(line.slice(1)) || 0
      sheetStart = cols.length
      open.length = 0
      continue
    }
    if (first === '}') {
      // A block closed by another number was a form (LuaTeX): its records belong to no page.
      if (Number(line.slice(1)) !== sheet) cols.truncate(sheetStart)
      else if (sheet > pages) pages = sheet
      sheet = 0
      open.length = 0
      continue
    }
    if (sheet === 0) continue
    if (first === ']' || first === ')' || first === '>') {
      open.pop()
      continue
    }
    const kind = KIND_OF[first]
    if (kind === undefined) continue // `f` form references, and anything newer than this reader
    const m = RECORD.exec(line.slice(1))
    if (!m) {
      // A box we cannot read still opens a level: keep the nesting right for what follows.
      if (kind === RecordKind.VBox || kind === RecordKind.HBox || kind === RecordKind.Form) open.push(open.at(-1) ?? -1)
      continue
    }
    const row = cols.length
    cols.kind.push(kind)
    cols.tag.push(Number(m[1]))
    cols.line.push(Number(m[2]))
    cols.page.push(sheet)
    cols.parent.push(open.at(-1) ?? -1)
    cols.h.push(Number(m[3]) * scale + xOffset * scale)
    cols.v.push(Number(m[4]) * scale + yOffset * scale)
    cols.width.push(m[5] === undefined ? 0 : Number(m[5]) * scale)
    cols.height.push(m[6] === undefined ? 0 : Number(m[6]) * scale)
    cols.depth.push(m[7] === undefined ? 0 : Number(m[7]) * scale)
    if (kind === RecordKind.VBox || kind === RecordKind.HBox || kind === RecordKind.Form) open.push(row)
  }
  return {
    inputs,
    count: cols.length,
    kind: Uint8Array.from(cols.kind),
    tag: Int32Array.from(cols.tag),
    line: Int32Array.from(cols.line),
    page: Int32Array.from(cols.page),
    parent: Int32Array.from(cols.parent),
    h: Float32Array.from(cols.h),
    v: Float32Array.from(cols.v),
    width: Float32Array.from(cols.width),
    height: Float32Array.from(cols.height),
    depth: Float32Array.from(cols.depth),
    pages,
  }
}

function numberOr(text: string, fallback: number): number {
  const n = Number(text.trim())
  return Number.isFinite(n) ? n : fallback
}
