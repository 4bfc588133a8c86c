import { mkdir } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { DeckhandError } from '../../core/errors.js'
import { serviceNameProblem, type VolumeSpec } from '../../core/manifest/index.js'
import { escapeText } from '../../core/safe-text.js'
import type { Logger } from '../../ports/logger.js'
import type { PreparedVolume, VolumeProvider } from '../../ports/volumes.js'

/** The manifest's volume names (schema.ts); checked again here because they become directories. */
const VOLUME_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/

/**
 * Volumes on this host alone: `instance` volumes are directories under the state dir, `tmpfs`
 * ones are memory. With no AWS (`deckhand up`) an `ebs` volume is a local directory too, so a
 * manifest runs unchanged on a laptop. Nothing here ever deletes a directory: data written by a
 * container outlives the container, and the next run finds it.
 *
 * The service name (an Auto Scaling tag) and the volume name are checked before either becomes
 * part of a path, and the path is checked to stay under `<stateDir>/volumes`, so that no name
 * can make deckhand create directories elsewhere.
 */
export class LocalVolumes implements VolumeProvider {
  constructor(private readonly options: { stateDir: string; service: string; logger: Logger }) {}

  directory(name: string): string {
    const badService = serviceNameProblem(this.options.service)
    if (badService !== undefined) throw new DeckhandError('ENVIRONMENT_INVALID', badService)
    if (!VOLUME_NAME.test(name)) {
      throw new DeckhandError('MANIFEST_INVALID', `The volume name "${escapeText(name.slice(0, 80))}" is not allowed; a volume name is 1 to 63 lowercase letters, digits, - and _, starting with a letter or digit (rename it in the manifest).`)
    }
    const root = resolve(this.options.stateDir, 'volumes')
    const path = join(root, this.options.service, name)
    if (!path.startsWith(`${root}${sep}`)) throw new DeckhandError('INTERNAL', `The volume directory ${escapeText(path)} is not under ${root}; deckhand refused to create it.`)
    return path
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
