import { readFileSync } from 'node:fs'
import { QuireCliError } from '../errors.js'

/** A parsed JSON file with its text, so later checks can point at the line of a bad field. */
export interface JsonFile {
  path: string
  text: string
  value: unknown
}

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)))
  const lines = before.split('\n')
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 }
}

/**
 * Offset of the first syntax error in `text`, or -1 if it is valid JSON. V8's messages carry a position
 * for most errors but not all ("Unexpected token '}', ... is not valid JSON"), so we find it ourselves.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0
  const ws = (): void => { while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++ }
  const fail = (): never => { throw i }
  const literal = (word: string): void => { if (text.startsWith(word, i)) i += word.length; else fail() }
  const string = (): void => {
    if (text[i] !== '"') fail()
    i++
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail()
      if (text[i] === '\\') {
        i++
        if (text[i] === 'u') { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 4 } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail()
      }
      i++
    }
    if (text[i] !== '"') fail()
    i++
  }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++; ws()
      if (text[i] === '}') { i++; return }
      for (;;) {
        ws(); string(); ws()
        if (text[i] !== ':') fail()
        i++; value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return }
        fail()
      }
    } else if (c === '[') {
      i++; ws()
      if (text[i] === ']') { i++; return }
      for (;;) {
        value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === ']') { i++; return }
        fail()
      }
    } else if (c === '"') string()
    else if (c === 't') literal('true')
    else if (c === 'f') literal('false')
    else if (c === 'n') literal('null')
    else {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))
      if (m === null) fail()
      i += m![0].length
    }
  }
  try {
    value(); ws()
    return i < text.length ? i : -1
  } catch (at) {
    return typeof at === 'number' ? at : 0
  }
}

/** Reads and parses a JSON file; a syntax error names the file, line and column. */
export function readJsonFile(path: string, what: string): JsonFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new QuireCliError('QUIRE_CONFIG_INVALID', `${what} ${path}: cannot read it (${(err as Error).message})`)
  }
  try {
    return { path, text, value: JSON.parse(text) }
  } catch (err) {
    const { line, column } = lineAndColumn(text, jsonErrorOffset(text))
    const reason = (err as Error).message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '')
    throw new QuireCliError('QUIRE_CONFIG_INVALID', `${what} ${path}:${line}:${column}: not valid JSON (${reason}); fix line ${line}`)
  }
}

/**
 * `path:line` of the field `key` in a parsed file, for messages about a bad value: the first line that
 * has `"key"` followed by a colon. Good enough for the flat files Quire reads.
 */
export function fieldLocation(file: JsonFile, key: string): string {
  const at = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`).exec(file.text)
  return at === null ? file.path : `${file.path}:${lineAndColumn(file.text, at.index).line}`
}

/** `path:line` of the first occurrence of a string value (JSON-encoded), e.g. a bad address in a list. */
export function valueLocation(file: JsonFile, value: string): string {
  const at = file.text.indexOf(JSON.stringify(value))
  return at < 0 ? file.path : `${file.path}:${lineAndColumn(file.text, at).line}`
}
