/**
 * The SyncTeX questions the LaTeX view asks, answered from one loaded `.synctex.gz`: the same code runs in
 * the worker (`synctex-worker.ts`) and, where there is no Worker (tests), in the calling thread.
 */
import { gunzipSync } from 'fflate'
import { parseSynctex, SynctexFormatError } from './synctex-parse.js'
import { SynctexLookup, type SyncRect } from './synctex-query.js'
import { tagsByProjectPath } from './synctex-inputs.js'

/** What to load: the blob's bytes (gzip or plain) and the project's files, to name sources by project path. */
export interface SynctexLoad {
  readonly bytes: Uint8Array
  /** Project path of the built main file (relative inputs are resolved against its folder). */
  readonly mainPath: string
  /** Every text file's project path. */
  readonly projectPaths: readonly string[]
}

/** Where a source line is in the PDF; `rects` is empty when the line produced no output the file records. */
export interface ForwardAnswer {
  readonly line: number
  readonly rects: readonly SyncRect[]
}

/** The source of a point in the PDF: a project file when TeX read one, else the name TeX used (a package). */
export interface InverseAnswer {
  readonly path?: string
  readonly input: string
  readonly line: number
}

/** A summary of what was loaded. */
export interface SynctexLoaded {
  readonly pages: number
  readonly records: number
  /** Project paths that appear in the output. */
  readonly sources: readonly string[]
}

export type SynctexRequest =
  | ({ readonly type: 'load' } & SynctexLoad)
  | { readonly type: 'forward'; readonly path: string; readonly line: number }
  | { readonly type: 'inverse'; readonly page: number; readonly x: number; readonly y: number }

export type SynctexErrorCode = 'SYNCTEX_NOT_SYNCTEX' | 'SYNCTEX_NOT_LOADED' | 'SYNCTEX_BAD_GZIP' | 'SYNCTEX_BAD_REQUEST'

/** A failure with a stable code, as it crosses the worker boundary. */
export class SynctexError extends Error {
  readonly code: SynctexErrorCode
  constructor(code: SynctexErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** Gunzips when the bytes are gzip (they start 1f 8b), and decodes UTF-8. */
export function synctexText(bytes: Uint8Array): string {
  let plain = bytes
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      plain = gunzipSync(bytes)
    } catch (err) {
      throw new SynctexError('SYNCTEX_BAD_GZIP', `The SyncTeX file is damaged (${err instanceof Error ? err.message : String(err)}); rebuild to make a new one.`)
    }
  }
  return new TextDecoder().decode(plain)
}

export class SynctexService {
  #lookup: SynctexLookup | undefined
  #tags = new Map<string, number[]>()
  #pathOfTag = new Map<number, string>()

  load(request: SynctexLoad): SynctexLoaded {
    let index
    try {
      index = parseSynctex(synctexText(request.bytes))
    } catch (err) {
      if (err instanceof SynctexFormatError) throw new SynctexError('SYNCTEX_NOT_SYNCTEX', err.message)
      throw err
    }
    this.#lookup = new SynctexLookup(index)
    this.#tags = tagsByProjectPath(index.inputs, request.projectPaths, request.mainPath)
    this.#pathOfTag = new Map([...this.#tags].flatMap(([path, tags]) => tags.map((t): [number, string] => [t, path])))
    return { pages: index.pages, records: index.count, sources: [...this.#tags.keys()].sort() }
  }

  forward(path: string, line: number): ForwardAnswer {
    const tags = this.#tags.get(path)
    if (tags === undefined) return { line, rects: [] }
    return this.#ready().forward(tags, line)
  }

  inverse(page: number, x: number, y: number): InverseAnswer | undefined {
    const lookup = this.#ready()
    const found = lookup.inverse(page, x, y)
    if (found === undefined) return undefined
    const path = this.#pathOfTag.get(found.tag)
    const input = lookup.index.inputs.get(found.tag) ?? ''
    return { ...(path !== undefined && { path }), input, line: found.line }
  }

  /** Answers one request (the worker's whole job). */
  handle(request: SynctexRequest): SynctexLoaded | ForwardAnswer | InverseAnswer | undefined {
    switch (request.type) {
      case 'load': return this.load(request)
      case 'forward': return this.forward(request.path, request.line)
      case 'inverse': return this.inverse(request.page, request.x, request.y)
      default: throw new SynctexError('SYNCTEX_BAD_REQUEST', `Unknown SyncTeX request ${JSON.stringify((request as { type?: unknown }).type)}.`)
    }
  }

  #ready(): SynctexLookup {
    if (this.#lookup === undefined) throw new SynctexError('SYNCTEX_NOT_LOADED', 'No SyncTeX file is loaded yet: build the document first.')
    return this.#lookup
  }
}
