/**
 * A small ANSI escape parser for kernel streams and tracebacks: SGR colours and styles (16 colours, 256-colour
 * and 24-bit), every other escape sequence dropped, and carriage returns applied the way a terminal shows
 * them (progress bars overwrite their line). The result is plain segments, rendered as text nodes by Svelte,
 * so nothing a kernel prints can become markup.
 */

/** A colour as the terminal said it: a palette index (0 to 255) or an RGB triple. */
export type AnsiColor = { readonly index: number } | { readonly rgb: readonly [number, number, number] }

/** A run of text with one style. */
export interface AnsiSegment {
  readonly text: string
  readonly fg?: AnsiColor
  readonly bg?: AnsiColor
  readonly bold?: boolean
  readonly dim?: boolean
  readonly italic?: boolean
  readonly underline?: boolean
}

interface Style {
  fg?: AnsiColor
  bg?: AnsiColor
  bold?: boolean
  dim?: boolean
  italic?: boolean
  underline?: boolean
  inverse?: boolean
}

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), and two-character escapes.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-9;:?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g

/** Splits text with ANSI escapes into styled segments; adjacent segments of one style are merged. */
export function parseAnsi(input: string): AnsiSegment[] {
  const text = applyCarriageReturns(input)
  const segments: AnsiSegment[] = []
  let style: Style = {}
  let last = 0
  const push = (chunk: string): void => {
    if (chunk.length === 0) return
    const segment = toSegment(chunk, style)
    const prev = segments[segments.length - 1]
    if (prev && sameStyle(prev, segment)) segments[segments.length - 1] = { ...prev, text: prev.text + chunk }
    else segments.push(segment)
  }
  for (const match of text.matchAll(ESCAPE)) {
    push(text.slice(last, match.index))
    last = match.index + match[0].length
    if (match[2] === 'm') style = applySgr(style, match[1] ?? '')
  }
  push(text.slice(last))
  return segments
}

/** Longest text shown in one output; the DOM and the parser slow down far beyond it. */
export const MAX_SHOWN_CHARS = 200_000

/**
 * The end of a long output (where a running job's latest lines are), cut at a line start, and how many
 * characters were left out.
 */
export function tailForDisplay(text: string, max = MAX_SHOWN_CHARS): { text: string; hidden: number } {
  if (text.length <= max) return { text, hidden: 0 }
  let start = text.length - max
  const newline = text.indexOf('\n', start)
  if (newline >= 0 && newline < text.length - 1) start = newline + 1
  return { text: text.slice(start), hidden: start }
}

/** The text without any escape sequence (for copying and for tests). */
export function stripAnsi(input: string): string {
  return parseAnsi(input)
    .map((s) => s.text)
    .join('')
}

/**
 * "\r" moves to the start of the line: later text overwrites earlier text, as in a terminal. "\r\n" is a
 * plain line end. Escapes count as characters here (as in Jupyter), which is right for the usual
 * progress-bar case (a whole line rewritten) and harmless otherwise.
 */
export function applyCarriageReturns(text: string): string {
  if (!text.includes('\r')) return text
  return text
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map((line) => {
      if (!line.includes('\r')) return line
      let shown = ''
      for (const part of line.split('\r')) shown = part + shown.slice(part.length)
      return shown
    })
    .join('\n')
}

function applySgr(current: Style, params: string): Style {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)))
  const style: Style = { ...current }
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!
    if (code === 0) for (const key of Object.keys(style) as (keyof Style)[]) delete style[key]
    else if (code === 1) style.bold = true
    else if (code === 2) style.dim = true
    else if (code === 3) style.italic = true
    else if (code === 4) style.underline = true
    else if (code === 7) style.inverse = true
    else if (code === 22) {
      delete style.bold
      delete style.dim
    }
    else if (code === 23) delete style.italic
    else if (code === 24) delete style.underline
    else if (code === 27) delete style.inverse
    else if (code >= 30 && code <= 37) style.fg = { index: code - 30 }
    else if (code >= 90 && code <= 97) style.fg = { index: code - 90 + 8 }
    else if (code === 39) delete style.fg
    else if (code >= 40 && code <= 47) style.bg = { index: code - 40 }
    else if (code >= 100 && code <= 107) style.bg = { index: code - 100 + 8 }
    else if (code === 49) delete style.bg
    else if (code === 38 || code === 48) {
      const { color, used } = extendedColor(codes, i + 1)
      i += used
      if (color) style[code === 38 ? 'fg' : 'bg'] = color
    }
  }
  return style
}

/** `5;n` (palette) or `2;r;g;b` (RGB) after a 38 or 48; returns how many codes it consumed. */
function extendedColor(codes: number[], at: number): { color: AnsiColor | undefined; used: number } {
  const mode = codes[at]
  if (mode === 5) {
    const index = codes[at + 1]
    const ok = index !== undefined && Number.isInteger(index) && index >= 0 && index <= 255
    return { color: ok ? { index } : undefined, used: 2 }
  }
  if (mode === 2) {
    const rgb = codes.slice(at + 1, at + 4)
    const ok = rgb.length === 3 && rgb.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)
    return { color: ok ? { rgb: rgb as unknown as [number, number, number] } : undefined, used: 4 }
  }
  return { color: undefined, used: mode === undefined ? 0 : 1 }
}

function toSegment(text: string, style: Style): AnsiSegment {
  const fg = style.inverse ? (style.bg ?? { index: 0 }) : style.fg
  const bg = style.inverse ? (style.fg ?? { index: 7 }) : style.bg
  return {
    text,
    ...(fg ? { fg } : {}),
    ...(bg ? { bg } : {}),
    ...(style.bold ? { bold: true } : {}),
    ...(style.dim ? { dim: true } : {}),
    ...(style.italic ? { italic: true } : {}),
    ...(style.underline ? { underline: true } : {}),
  }
}

function sameStyle(a: AnsiSegment, b: AnsiSegment): boolean {
  return (
    colorKey(a.fg) === colorKey(b.fg) &&
    colorKey(a.bg) === colorKey(b.bg) &&
    !!a.bold === !!b.bold &&
    !!a.dim === !!b.dim &&
    !!a.italic === !!b.italic &&
    !!a.underline === !!b.underline
  )
}

function colorKey(color: AnsiColor | undefined): string {
  if (!color) return ''
  return 'index' in color ? `i${color.index}` : `rgb${color.rgb.join(',')}`
}

// Jupyter's palette for the 16 basic colours, readable on a light background.
const BASIC = [
  '#3e424d', '#e75c58', '#00a250', '#ddb62b', '#208ffb', '#d160c4', '#60c6c8', '#c5c1b4',
  '#282c36', '#b22b31', '#007427', '#b27d12', '#0065ca', '#a03196', '#258f8f', '#a1a6b2',
]

/** A CSS colour for an ANSI colour (xterm's 256-colour cube and grey ramp above 15). */
export function cssColor(color: AnsiColor): string {
  if ('rgb' in color) return `rgb(${color.rgb.join(',')})`
  const i = color.index
  if (i < 16) return BASIC[i]!
  if (i < 232) {
    const level = (n: number): number => (n === 0 ? 0 : 55 + n * 40)
    const c = i - 16
    return `rgb(${level(Math.floor(c / 36))},${level(Math.floor(c / 6) % 6)},${level(c % 6)})`
  }
  const grey = 8 + (i - 232) * 10
  return `rgb(${grey},${grey},${grey})`
}

/** An inline style for a segment (empty when unstyled). */
export function segmentStyle(segment: AnsiSegment): string {
  const parts: string[] = []
  if (segment.fg) parts.push(`color:${cssColor(segment.fg)}`)
  if (segment.bg) parts.push(`background-color:${cssColor(segment.bg)}`)
  if (segment.bold) parts.push('font-weight:bold')
  if (segment.dim) parts.push('opacity:0.7')
  if (segment.italic) parts.push('font-style:italic')
  if (segment.underline) parts.push('text-decoration:underline')
  return parts.join(';')
}
