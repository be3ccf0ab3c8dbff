/**
 * @quire/bootstrap: the default bootstrap list (data), the one-command local network (`quire up`, which
 * `npm start` runs), system-dependency detection and setup, and the `quire` command. It starts relays and
 * compute peers only as processes and never imports them.
 */
export { QuireCliError, type QuireCliErrorCode } from './errors.js'
export {
  loadBootstrapList,
  bootstrapAddresses,
  DEFAULT_BOOTSTRAP_LIST_PATH,
  type BootstrapList,
  type BootstrapRelay,
} from './config/bootstrap-list.js'
export { readJsonFile, jsonErrorOffset, lineAndColumn, type JsonFile } from './config/json-file.js'
export { runLocalNetwork, type LocalNetworkOptions } from './launcher/local-network.js'
export { networkLayout, quireBuild, quireRoot, DEFAULT_DATA_DIR, type NetworkLayout, type QuireBuild } from './launcher/paths.js'
export { networkPorts, DEFAULT_BASE_PORT, type NetworkPorts } from './launcher/ports.js'
export { readNetworkState, type LocalWebConfig, type NetworkState } from './launcher/network-files.js'
export { SYSTEM_FEATURES, SYSTEM_PYTHON, type SystemFeature, type FeatureCheck } from './system/features.js'
export { detectSystemFeatures, missingFeatures, type FeatureStatus, type DetectOptions } from './system/detect.js'
export { installCommand, packagesOf } from './system/install-command.js'
export { parseOsRelease, isDebianLike, type OsRelease } from './system/os-release.js'
export type { CommandIo } from './commands/io.js'
