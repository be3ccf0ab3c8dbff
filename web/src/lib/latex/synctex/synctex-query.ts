/**
 * SyncTeX both ways over a parsed index. Forward: a source line to the boxes on the page where its text
 * is (the typeset lines that hold it). Inverse: a point on a page to the source line of the text there.
 *
 * TeX records a paragraph's typeset lines as hboxes, and inside them glue, kerns and math with the line of
 * the source they came from; so forward search looks up the records of a line and highlights the hboxes
 * that hold them, and inverse search finds the innermost hbox under the point and the record at or before
 * the point along it, as TeX Live's `synctex edit` does.
 */
import { RecordKind, type SynctexIndex } from './synctex-parse.js'

/** A rectangle on a page, in PDF points from the page's top-left corner. */
export interface SyncRect {
  /** 1-based page. */
  readonly page: number
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** Where a source line is in the PDF. */
export interface ForwardResult {
  /** The line found: the one asked for, or the nearest line with output when it has none (a comment, a blank line). */
  readonly line: number
  /** Boxes holding the line's output, by page then from the top; the first is where to scroll. */
  readonly rects: readonly SyncRect[]
}

/** Where a point in the PDF comes from. */
export interface InverseResult {
  readonly tag: number
  readonly line: number
}

/** How far (in lines) forward search looks for a line with output before giving up. */
const NEAREST_LINE_SPAN = 200

const KEY_LINE_BITS = 2 ** 22

function isHBox(kind: number): boolean {
  return kind === RecordKind.HBox || kind === RecordKind.VoidHBox
}

function isOpenBox(kind: number): boolean {
  return kind === RecordKind.HBox || kind === RecordKind.VBox || kind === RecordKind.Form
}

/** Lookup tables over one index, built once per SyncTeX file (linear in its size). */
export class SynctexLookup {
  readonly index: SynctexIndex
  /** Rows by tag and line. */
  readonly #rows = new Map<number, number[]>()
  /** Lines with records, per tag, sorted. */
  readonly #lines = new Map<number, number[]>()
  /** For a box row, the row after its last descendant. */
  readonly #subtreeEnd: Int32Array
  /** Rows of each page: [start, end) (a page's records are contiguous in the file). */
  readonly #pageStart: Int32Array
  readonly #pageEnd: Int32Array

  constructor(index: SynctexIndex) {
    this.index = index
    const { count, kind, tag, line, parent, page } = index
    this.#subtreeEnd = new Int32Array(count)
    this.#pageStart = new Int32Array(index.pages + 1).fill(-1)
    this.#pageEnd = new Int32Array(index.pages + 1).fill(-1)
    const stack: number[] = []
    for (let r = 0; r < count; r++) {
      const p = page[r]!
      if (this.#pageStart[p] === -1) this.#pageStart[p] = r
      this.#pageEnd[p] = r + 1
      while (stack.length > 0 && stack.at(-1) !== parent[r]) this.#subtreeEnd[stack.pop()!] = r
      if (isOpenBox(kind[r]!)) stack.push(r)
      else this.#subtreeEnd[r] = r + 1
      if (line[r]! <= 0 || tag[r]! <= 0) continue
      const key = tag[r]! * KEY_LINE_BITS + line[r]!
      const rows = this.#rows.get(key)
      if (rows) rows.push(r)
      else {
        this.#rows.set(key, [r])
        const lines = this.#lines.get(tag[r]!)
        if (lines) lines.push(line[r]!)
        else this.#lines.set(tag[r]!, [line[r]!])
      }
    }
    for (const r of stack) this.#subtreeEnd[r] = count
    for (const lines of this.#lines.values()) lines.sort((a, b) => a - b)
  }

  /** Forward search: where `line` of the file with these tags landed; no rects when nowhere. */
  forward(tags: readonly number[], line: number): ForwardResult {
    const exact = this.#rectsOf(tags, line)
    if (exact.length > 0) return { line, rects: exact }
    const near = this.#nearestLine(tags, line)
    return near === undefined ? { line, rects: [] } : { line: near, rects: this.#rectsOf(tags, near) }
  }

  /** Inverse search: the source of the text at (x, y) on `page` (PDF points from the top-left). */
  inverse(page: number, x: number, y: number): InverseResult | undefined {
    if (page < 1 || page > this.index.pages || this.#pageStart[page] === -1) return undefined
    const box = this.#boxAt(page, x, y)
    if (box === undefined) return undefined
    const { kind, tag, line, h } = this.index
    // Along the box, the record whose position is the last one at or before x (else the first after it).
    // A typeset line's hbox carries the line where its paragraph ended, and so do a few points inside it
    // that line breaking made: they say nothing about the words there, so the other records come first.
    const own = (r: number): boolean => tag[r] === tag[box] && line[r] === line[box]
    let others = false
    for (let r = box + 1; r < this.#subtreeEnd[box]! && !others; r++) others = line[r]! > 0 && tag[r]! > 0 && !own(r)
    let before = -1
    let after = -1
    for (let r = box + 1; r < this.#subtreeEnd[box]!; r++) {
      if (line[r]! <= 0 || tag[r]! <= 0 || kind[r] === RecordKind.VBox || (others && own(r))) continue
      if (h[r]! <= x) {
        if (before === -1 || h[r]! >= h[before]!) before = r
      } else if (after === -1 || h[r]! < h[after]!) after = r
    }
    const best = before !== -1 ? before : after !== -1 ? after : box
    if (line[best]! <= 0) return undefined
    return { tag: tag[best]!, line: line[best]! }
  }

  /** The innermost hbox containing the point, else the nearest hbox on the page. */
  #boxAt(page: number, x: number, y: number): number | undefined {
    const { kind, h, v, width, height, depth } = this.index
    let inside = -1
    let insideArea = Infinity
    let nearest = -1
    let nearestDistance = Infinity
    for (let r = this.#pageStart[page]!; r < this.#pageEnd[page]!; r++) {
      if (!isHBox(kind[r]!) || width[r]! <= 0) continue
      const left = h[r]!
      const top = v[r]! - height[r]!
      const right = left + width[r]!
      const bottom = v[r]! + depth[r]!
      if (x >= left && x <= right && y >= top && y <= bottom) {
        const area = (right - left) * (bottom - top)
        if (area <= insideArea) {
          inside = r
          insideArea = area
        }
        continue
      }
      const dx = x < left ? left - x : x > right ? x - right : 0
      const dy = y < top ? top - y : y > bottom ? y - bottom : 0
      const distance = dx * dx + dy * dy
      if (distance < nearestDistance) {
        nearest = r
        nearestDistance = distance
      }
    }
    if (inside !== -1) return inside
    return nearest === -1 ? undefined : nearest
  }

  #rectsOf(tags: readonly number[], line: number): SyncRect[] {
    const { kind, parent, page, h, v, width, height, depth } = this.index
    const seen = new Set<number>()
    const boxes: number[] = []
    const loose: number[] = []
    for (const tag of tags) {
      for (const r of this.#rows.get(tag * KEY_LINE_BITS + line) ?? []) {
        let box = r
        while (box !== -1 && !isHBox(kind[box]!)) box = parent[box]!
        if (box === -1) {
          // Output straight in a vbox (a rule, an empty box): itself, when it has a size.
          if (width[r]! > 0 && !seen.has(r)) loose.push(r)
          seen.add(r)
          continue
        }
        if (!seen.has(box)) boxes.push(box)
        seen.add(box)
      }
    }
    const rows = boxes.length > 0 ? boxes : loose
    const rects = rows.map((r): SyncRect => ({
      page: page[r]!, x: h[r]!, y: v[r]! - height[r]!, width: width[r]!, height: Math.max(height[r]! + depth[r]!, 1),
    }))
    rects.sort((a, b) => a.page - b.page || a.y - b.y || a.x - b.x)
    return rects
  }

  /** The nearest line after `line` with output (a comment or blank line: the text that follows), else before. */
  #nearestLine(tags: readonly number[], line: number): number | undefined {
    let best: number | undefined
    for (const tag of tags) {
      const lines = this.#lines.get(tag)
      if (!lines || lines.length === 0) continue
      const i = lowerBound(lines, line)
      const next = lines[i]
      const previous = i > 0 ? lines[i - 1] : undefined
      const candidate = next !== undefined && next - line <= NEAREST_LINE_SPAN ? next : previous !== undefined && line - previous <= NEAREST_LINE_SPAN ? previous : undefined
      if (candidate !== undefined && (best === undefined || Math.abs(candidate - line) < Math.abs(best - line))) best = candidate
    }
    return best
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}
