import type { EmulatorClock } from '../clock.js'
import type { EventFeed } from '../events.js'
import { newLaunchTemplateId } from '../ids.js'
import { ApiError } from './api-error.js'

export interface LaunchTemplateVersion {
  readonly templateId: string
  readonly templateName: string
  readonly versionNumber: number
  readonly imageId: string
  readonly instanceType: string
  readonly description: string | undefined
  readonly createTime: number
}

export interface LaunchTemplate {
  readonly id: string
  readonly name: string
  readonly createTime: number
  readonly versions: LaunchTemplateVersion[]
  defaultVersion: number
}

/** Names a template by id or by name, as every launch template API call does. */
export interface TemplateRef {
  readonly id?: string | undefined
  readonly name?: string | undefined
}

/** `$Latest`, `$Default` or a version number, as a string: what an ASG or an API call names. */
export type VersionSpec = string

/**
 * EC2 launch templates. Each version fixes an AMI, which is how a test "bakes a new image": it
 * adds a version, and a group launching from `$Latest` (or pinned to that number) picks it up.
 */
export class LaunchTemplates {
  readonly #templates = new Map<string, LaunchTemplate>()

  constructor(private readonly context: { readonly clock: EmulatorClock; readonly events: EventFeed }) {}

  create(input: { name: string; imageId: string; instanceType: string; description?: string | undefined }): LaunchTemplate {
    if ([...this.#templates.values()].some((t) => t.name === input.name)) {
      throw new ApiError('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`)
    }
    const id = newLaunchTemplateId()
    const now = this.context.clock.now()
    const template: LaunchTemplate = {
      id,
      name: input.name,
      createTime: now,
      versions: [{ templateId: id, templateName: input.name, versionNumber: 1, imageId: input.imageId, instanceType: input.instanceType, description: input.description, createTime: now }],
      defaultVersion: 1,
    }
    this.#templates.set(id, template)
    return template
  }

  find(ref: TemplateRef): LaunchTemplate {
    if (ref.id !== undefined) {
      if (!/^lt-[0-9a-f]{17}$/.test(ref.id)) throw new ApiError('InvalidLaunchTemplateId.Malformed', `The specified ID for the launch template (${ref.id}) is malformed.`)
      const template = this.#templates.get(ref.id)
      if (!template) throw new ApiError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${ref.id}, does not exist.`)
      return template
    }
    if (ref.name !== undefined) {
      const template = [...this.#templates.values()].find((t) => t.name === ref.name)
      if (!template) throw new ApiError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${ref.name}, does not exist.`)
      return template
    }
    throw new ApiError('MissingParameter', 'The request must contain the parameter LaunchTemplateName or LaunchTemplateId')
  }

  latestVersion(template: LaunchTemplate): number {
    return template.versions.at(-1)?.versionNumber ?? 1
  }

  resolve(template: LaunchTemplate, spec: VersionSpec): LaunchTemplateVersion {
    const number = spec === '$Latest' ? this.latestVersion(template) : spec === '$Default' ? template.defaultVersion : Number(spec)
    const version = template.versions.find((v) => v.versionNumber === number)
    if (!version) {
      throw new ApiError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${spec} for launch template ID ${template.id}.`)
    }
    return version
  }

  /** CreateLaunchTemplateVersion: copies SourceVersion (else the default) and overrides what is given. */
  createVersion(ref: TemplateRef, input: { sourceVersion?: VersionSpec | undefined; imageId?: string | undefined; instanceType?: string | undefined; description?: string | undefined }): LaunchTemplateVersion {
    const template = this.find(ref)
    const source = input.sourceVersion === undefined ? undefined : this.resolve(template, input.sourceVersion)
    const imageId = input.imageId ?? source?.imageId
    if (imageId === undefined) throw new ApiError('InvalidParameterValue', 'A new launch template version without a source version must name an ImageId in the emulator.')
    const version: LaunchTemplateVersion = {
      templateId: template.id,
      templateName: template.name,
      versionNumber: this.latestVersion(template) + 1,
      imageId,
      instanceType: input.instanceType ?? source?.instanceType ?? this.resolve(template, '$Default').instanceType,
      description: input.description,
      createTime: this.context.clock.now(),
    }
    template.versions.push(version)
    this.context.events.emit({ type: 'launch-template', templateId: template.id, version: version.versionNumber })
    return version
  }

  setDefaultVersion(ref: TemplateRef, spec: VersionSpec): LaunchTemplate {
    const template = this.find(ref)
    template.defaultVersion = this.resolve(template, spec).versionNumber
    this.context.events.emit({ type: 'launch-template', templateId: template.id, version: template.defaultVersion })
    return template
  }

  /** No versions named means every version; MinVersion/MaxVersion narrow a full listing. */
  describeVersions(ref: TemplateRef, input: { versions: readonly VersionSpec[]; minVersion?: number | undefined; maxVersion?: number | undefined }): LaunchTemplateVersion[] {
    const template = this.find(ref)
    if (input.versions.length > 0) {
      const resolved = input.versions.map((spec) => this.resolve(template, spec))
      return [...new Map(resolved.map((v) => [v.versionNumber, v])).values()]
    }
    return template.versions
      .filter((v) => (input.minVersion === undefined || v.versionNumber >= input.minVersion) && (input.maxVersion === undefined || v.versionNumber <= input.maxVersion))
      .slice()
      .reverse()
  }
}
