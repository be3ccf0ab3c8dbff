import { dirname, resolve } from 'node:path'
import { QuireCliError } from '../errors.js'
import { fieldLocation, readJsonFile } from './json-file.js'

/** `quire up --config <file>`: the same settings as the flags. */
export interface UpConfig {
  dataDir?: string
  port?: number
  compute?: boolean
}

/** Reads and checks an up config file; every error names the file and the line of the bad field. */
export function readUpConfig(path: string, cwd: string): UpConfig {
  const file = readJsonFile(resolve(cwd, path), 'config file')
  const v = file.value
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new QuireCliError('QUIRE_CONFIG_INVALID', `config file ${file.path}:1: expected a JSON object with the fields dataDir, port, compute`)
  }
  const bad = (key: string, why: string): never => {
    throw new QuireCliError('QUIRE_CONFIG_INVALID', `config file ${fieldLocation(file, key)}: field ${key}: ${why}`)
  }
  const out: UpConfig = {}
  for (const [key, value] of Object.entries(v)) {
    switch (key) {
      case 'dataDir':
        if (typeof value !== 'string' || value === '') bad(key, `expected a directory path, got ${JSON.stringify(value)}`)
        out.dataDir = resolve(dirname(file.path), value as string) // relative to the file, like the relay's config
        break
      case 'port':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65533) bad(key, `expected a whole number from 1 to 65533, got ${JSON.stringify(value)}`)
        out.port = value as number
        break
      case 'compute':
        if (typeof value !== 'boolean') bad(key, `expected true or false, got ${JSON.stringify(value)}`)
        out.compute = value as boolean
        break
      default:
        bad(key, 'unknown field; known fields: dataDir, port, compute')
    }
  }
  return out
}
