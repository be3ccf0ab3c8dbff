export { startWorkspace } from './workspace.js'
export type * from './types.js'
export { DEFAULT_LIMITS as DEFAULT_WORKSPACE_LIMITS, DEFAULT_TIMING as DEFAULT_WORKSPACE_TIMING } from './types.js'
export { DEFAULT_IGNORES as DEFAULT_WORKSPACE_IGNORES, IGNORE_FILE as WORKSPACE_IGNORE_FILE } from './names.js'
