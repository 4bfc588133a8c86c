import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { VolumeSpec } from '../../core/manifest/index.js'
import type { Logger } from '../../ports/logger.js'
import type { PreparedVolume, VolumeProvider } from '../../ports/volumes.js'

/**
 * Volumes on this host alone: `instance` volumes are directories under the state dir, `tmpfs`
 * ones are memory. With no AWS (`deckhand up`) an `ebs` volume is a local directory too, so a
 * manifest runs unchanged on a laptop. Nothing here ever deletes a directory: data written by a
 * container outlives the container, and the next run finds it.
 */
export class LocalVolumes implements VolumeProvider {
  constructor(private readonly options: { stateDir: string; service: string; logger: Logger }) {}

  directory(name: string): string {
    return join(this.options.stateDir, 'volumes', this.options.service, name)
  }

  async prepare(name: string, spec: VolumeSpec): Promise<PreparedVolume> {
    if (spec.kind === 'tmpfs') return spec.sizeBytes === undefined ? { kind: 'tmpfs' } : { kind: 'tmpfs', sizeBytes: spec.sizeBytes }
    const path = this.directory(name)
    await mkdir(path, { recursive: true })
    if (spec.kind === 'ebs') this.options.logger.warn({ volume: name, path }, 'no AWS here: the ebs volume is a local directory')
    return { kind: 'bind', path }
  }

  async release(): Promise<void> {}
}
