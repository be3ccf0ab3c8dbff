import { readFileSync } from 'node:fs'
import { jsonErrorOffset, lineAndColumn } from '@quire/node'
import { QuireCliError } from '../errors.js'

/** A parsed JSON file with its text, so later checks can point at the line of a bad field. */
export interface JsonFile {
  path: string
  text: string
  value: unknown
}

// The JSON line-number helpers live with the daemons' config parser in @quire/node; re-exported so
// bootstrap's public API is unchanged.
export { jsonErrorOffset, lineAndColumn } from '@quire/node'

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
