export { WORKSPACE_STATUS_KEY, describeWorkspaceStatus, readWorkspaceStatus, workspaceStatusMessage, type WorkspaceStatusMessage, type WorkspaceSyncState } from './workspace-status.js'
