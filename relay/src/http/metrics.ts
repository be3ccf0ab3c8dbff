import type { RelayStats } from '../relay-stats.js'

type Sample = [labels: Record<string, string>, value: number]

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function metric(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Sample[] | number): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
  const list: Sample[] = typeof samples === 'number' ? [[{}, samples]] : samples
  for (const [labels, value] of list) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')
    out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`)
  }
}

/** The relay's stats in Prometheus text exposition format 0.0.4. */
export function prometheusText(s: RelayStats): string {
  const out: string[] = []
  metric(out, 'quire_relay_uptime_seconds', 'gauge', 'Seconds since the relay started.', s.uptimeSeconds)
  metric(out, 'quire_relay_connected_peers', 'gauge', 'Peers with at least one open connection.', s.connectedPeers)
  metric(out, 'quire_relay_connections', 'gauge', 'Open libp2p connections.', s.connections)
  metric(out, 'quire_relay_sync_peers', 'gauge', 'Peers with an established sync stream.', s.syncPeers)
  metric(out, 'quire_relay_reservations', 'gauge', 'Circuit relay v2 reservations held.', s.reservations)
  metric(out, 'quire_relay_documents_hosted', 'gauge', 'Documents this relay keeps a durable replica of.', s.documentsHosted)
  metric(out, 'quire_relay_documents_loaded', 'gauge', 'Hosted documents currently in memory.', s.documentsLoaded)
  metric(out, 'quire_relay_documents_unloaded_total', 'counter', 'Documents unloaded from memory (idle or least recently used).', s.documentsUnloaded)
  metric(out, 'quire_relay_sync_bytes_received_total', 'counter', 'Sync frame bytes received.', s.sync.bytesReceived)
  metric(out, 'quire_relay_sync_bytes_sent_total', 'counter', 'Sync frame bytes sent.', s.sync.bytesSent)
  metric(out, 'quire_relay_sync_frames_received_total', 'counter', 'Sync frames received.', s.sync.framesReceived)
  metric(out, 'quire_relay_sync_frames_sent_total', 'counter', 'Sync frames sent.', s.sync.framesSent)
  metric(out, 'quire_relay_sync_frames_rejected_total', 'counter', 'Sync streams reset for bad input or a stuck reader, by error code.',
    Object.entries(s.sync.rejected).map(([code, n]): Sample => [{ code }, n ?? 0]))
  metric(out, 'quire_relay_refusals_total', 'counter', 'Documents refused by the hosting policy, by code.',
    Object.entries(s.refusals).map(([code, n]): Sample => [{ code }, n]))
  metric(out, 'quire_relay_acks_held', 'gauge', 'Sync messages waiting for their document to reach the disk.', s.acks.held)
  metric(out, 'quire_relay_persists_total', 'counter', 'Document writes made before acknowledging.', s.acks.persists)
  metric(out, 'quire_relay_persist_seconds_total', 'counter', 'Time spent in those writes.', s.acks.persistMs / 1000)
  metric(out, 'quire_relay_acks_deferred_total', 'counter', 'Sync messages sent at once with the heads on disk in place of their own (RL23).', s.acks.rewritten)
  metric(out, 'quire_relay_acks_sent_total', 'counter', 'Acknowledgements sent after a write (heads only).', s.acks.acknowledgements)
  metric(out, 'quire_relay_persist_failures_total', 'counter', 'Document writes that failed (their acknowledgements were withheld).', s.acks.persistFailures)
  metric(out, 'quire_relay_empty_sync_coalesced_total', 'counter', 'Sync messages without changes replaced by a later one (Y26).', s.emptySync.coalesced)
  metric(out, 'quire_relay_empty_sync_delayed_total', 'counter', 'Sync messages without changes sent or taken late (Y26).', s.emptySync.delayed)
  metric(out, 'quire_relay_unavailable_echoes_suppressed_total', 'counter', 'doc-unavailable answers to a peer\'s own doc-unavailable not sent (Y29).', s.unavailableEcho.suppressed)
  metric(out, 'quire_relay_peer_pauses_total', 'counter', 'Times a peer sending more than its share was not read while the relay was congested.', s.peerPauses)
  metric(out, 'quire_relay_http_connections', 'gauge', 'Plain HTTP connections open on the WebSocket ports (not yet WebSockets).', s.http.open)
  metric(out, 'quire_relay_http_refused_total', 'counter', 'HTTP connections closed on arrival, over the total or per-host cap (RL58).', s.http.refused)
  metric(out, 'quire_relay_http_timeouts_total', 'counter', 'HTTP connections closed because their request head did not arrive in time (RL58).', s.http.timedOut)
  const g = s.grantQuotas
  if (g !== undefined) {
    // Totals only: a series per project or owner would let strangers with fresh keys grow /metrics without
    // bound (RL27). Refusals by code are in quire_relay_refusals_total; the log names the project.
    metric(out, 'quire_relay_grant_projects', 'gauge', 'Projects hosted by grants.', g.projects)
    metric(out, 'quire_relay_grant_owners', 'gauge', 'Owners of the projects hosted by grants.', g.owners)
    metric(out, 'quire_relay_grant_documents', 'gauge', 'Documents charged to projects hosted by grants.', g.documents)
    metric(out, 'quire_relay_grant_bytes', 'gauge', 'Bytes of changes charged to projects hosted by grants.', g.bytes)
    metric(out, 'quire_relay_grant_unlisted_bytes', 'gauge', 'Bytes of changes charged to owners not on the allowlist (capped by --max-bytes-unlisted).', g.unlistedBytes)
    metric(out, 'quire_relay_grant_projects_near_quota', 'gauge', 'Projects at 90% or more of their document or byte quota.', g.projectsNearQuota)
    metric(out, 'quire_relay_grant_owners_near_quota', 'gauge', 'Owners at 90% or more of their document or byte quota.', g.ownersNearQuota)
    metric(out, 'quire_relay_grant_quota', 'gauge', 'The grants quotas as configured, by quota.', [
      [{ quota: 'documents_per_project' }, g.limits.maxDocumentsPerProject],
      [{ quota: 'bytes_per_project' }, g.limits.maxBytesPerProject],
      [{ quota: 'documents_per_owner' }, g.limits.maxDocumentsPerOwner],
      [{ quota: 'bytes_per_owner' }, g.limits.maxBytesPerOwner],
      [{ quota: 'bytes_unlisted' }, g.limits.maxBytesUnlisted],
      [{ quota: 'allowlisted_owners' }, g.limits.allowlistedOwners],
    ])
  }
  metric(out, 'process_resident_memory_bytes', 'gauge', 'Resident memory of the relay process.', s.residentMemoryBytes)
  return out.join('\n') + '\n'
}
