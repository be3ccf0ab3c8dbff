/** `/quire/snapshot/1.0.0` (compute-peer/SPEC.md N14-N18, node/PROTOCOL.md SN1-SN5): wire types and a member's client. */
export {
  SNAPSHOT_PROTOCOL, MAX_SNAPSHOT_REQUEST_BYTES, MAX_SNAPSHOT_READ_BYTES, MAX_SNAPSHOT_ANSWER_BYTES, MAX_BROWSE_ENTRIES,
  SNAPSHOT_READER_OPS, SNAPSHOT_WRITER_OPS, SnapshotError, isSnapshotErrorCode, checkSnapshotInfo, checkSnapshotAnswer,
  type SnapshotErrorCode, type SnapshotOp, type SnapshotRequest, type SnapshotMeta, type SnapshotInfo, type SnapshotEntry,
  type SnapshotUsage, type SnapshotRestoreAnswer, type SnapshotFolder,
} from './protocol.js'
export { requestSnapshots, SnapshotClient, type SnapshotTarget, type SnapshotRequestOptions } from './client.js'
