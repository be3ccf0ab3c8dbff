export { FrameChannel, type ChannelError, type FrameChannelInit } from './frame-channel.js'
export { PipeRepoAdapter, type PipeRepoAdapterInit, type RepoFrame } from './pipe-repo-adapter.js'
