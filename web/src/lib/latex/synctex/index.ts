/** SyncTeX in the browser: parse a `.synctex.gz` in a worker, search forward (line to PDF) and inverse (PDF to line). */
export { SynctexClient } from './synctex-client.js'
export { SynctexError, SynctexService, synctexText, type ForwardAnswer, type InverseAnswer, type SynctexErrorCode, type SynctexLoad, type SynctexLoaded } from './synctex-service.js'
export { parseSynctex, RecordKind, SynctexFormatError, type SynctexIndex } from './synctex-parse.js'
export { SynctexLookup, type ForwardResult, type InverseResult, type SyncRect } from './synctex-query.js'
export { normalizeTexPath, projectPathOf, tagsByProjectPath } from './synctex-inputs.js'
