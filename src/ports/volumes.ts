import type { VolumeSpec } from '../core/manifest/index.js'

/** What a named volume becomes on this host. */
export type PreparedVolume =
  | { readonly kind: 'bind'; readonly path: string }
  | { readonly kind: 'tmpfs'; readonly sizeBytes?: number }

export interface VolumeProvider {
  prepare(name: string, spec: VolumeSpec, signal?: AbortSignal): Promise<PreparedVolume>
  /** After every container using it has stopped (drain): unmount, detach. Never deletes data. */
  release(name: string, spec: VolumeSpec, signal?: AbortSignal): Promise<void>
}
