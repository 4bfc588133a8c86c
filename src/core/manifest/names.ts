import { escapeText } from '../safe-text.js'

/**
 * Names that come from outside the manifest and end up in paths, container names, labels and
 * SSM parameter names: the service (an Auto Scaling tag, or the ASG's name) and the release
 * version (`/deckhand/<service>/version`, or `--version`). Each is checked before it is used.
 */

/**
 * A service name: letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most
 * 128 characters. Those are the characters Docker allows in a container name and SSM in a
 * parameter path, and a name that starts with a letter or digit is never `.` or `..`.
 */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

/**
 * A release version: letters, digits, `_`, `.`, `-`, `+` and `:` (so a Docker tag, a semver with
 * build metadata, or a digest such as `sha256:...`), starting with a letter, digit or `_`, at
 * most 128 characters, and never `..`. It may never contain `/`: `${version}` in a host path
 * must not climb out of it.
 */
export const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.+:-]{0,127}$/

/**
 * Undefined when `name` may be used as a service name; else one sentence saying why not and
 * `fix` (by default, for the agent: the Auto Scaling group's tag).
 */
export function serviceNameProblem(name: string, fix = 'set the deckhand:service tag of the Auto Scaling group to such a name'): string | undefined {
  if (SERVICE_NAME.test(name)) return undefined
  return `The service name "${shown(name)}" is not allowed; a service name is 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit (${fix}).`
}

/** Undefined when `version` may replace `${version}`; else one sentence saying why not. */
export function versionProblem(version: string): string | undefined {
  if (VERSION.test(version) && !version.includes('..')) return undefined
  return `The version "${shown(version)}" is not allowed; a version is 1 to 128 letters, digits, "_", ".", "+", ":" or "-", starting with a letter, digit or "_", with no "/" and no ".." (release a version like 1.4.3).`
}

/** At most 80 characters of what was given, escaped: the sentence must stay one line. */
function shown(text: string): string {
  return escapeText(text.length > 80 ? `${text.slice(0, 79)}…` : text)
}
