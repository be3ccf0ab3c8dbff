export type { Problem } from './guards.js'
export { isRecord, asString, asNumber, asInteger, asBoolean, asArray, asStringArray, asOneOf } from './guards.js'
