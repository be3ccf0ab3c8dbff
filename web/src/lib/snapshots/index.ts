/** Snapshots of the project's workspace on its compute peer (compute-peer/SPEC.md N rules). */
export { default as SnapshotsPanel } from './SnapshotsPanel.svelte'
export { ProjectSnapshots, SHOW_MAX_BYTES, type SnapshotsState } from './project-snapshots.svelte.js'
export { snapshotTitle, snapshotBy, formatBytes, asText } from './format.js'
