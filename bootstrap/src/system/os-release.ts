import { readFileSync } from 'node:fs'

/** What `/etc/os-release` says about the distribution. */
export interface OsRelease {
  id: string
  idLike: string[]
  prettyName: string
}

/** Parses os-release(5) text: `KEY=value` lines, values optionally quoted. */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim())
    if (m) fields.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'))
  }
  return {
    id: fields.get('ID') ?? 'linux',
    idLike: (fields.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
    prettyName: fields.get('PRETTY_NAME') ?? fields.get('NAME') ?? 'an unknown system',
  }
}

/** Reads the running system's os-release, or undefined where there is none (not Linux). */
export function readOsRelease(path = '/etc/os-release'): OsRelease | undefined {
  try {
    return parseOsRelease(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}

/** Debian, Ubuntu, or a derivative that says it is like them: apt-get and these package names work. */
export function isDebianLike(os: OsRelease | undefined): boolean {
  if (os === undefined) return false
  return [os.id, ...os.idLike].some((id) => id === 'debian' || id === 'ubuntu')
}
