/** Presence (who is here, where their cursor is, who is typing) over ephemeral messages. */
export { ProjectPresence } from './project-presence.svelte.js'
export { PresenceTracker, type PresenceChannel, type PresenceOptions } from './presence-tracker.js'
export {
  readPresenceMessage,
  safeColor,
  PRESENCE_KEY,
  type PeerPresence,
  type PresenceActivity,
  type PresenceCursor,
  type PresenceSelf,
  type PresenceState,
} from './presence-protocol.js'
export { colorForPeer, shortPeerName } from './peer-color.js'
