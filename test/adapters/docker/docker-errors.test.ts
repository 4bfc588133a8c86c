import { describe, expect, it } from 'vitest'
import { engineMessage, envValues, pullError, secretsOf, summarise, unreachableError } from '../../../src/adapters/docker/docker-errors.js'

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } })
}

describe('engineMessage', () => {
  it("prefers the engine's JSON message, else strips dockerode's prefix", () => {
    expect(engineMessage(httpError(404, 'No such container: x'))).toBe('No such container: x')
    expect(engineMessage(Object.assign(new Error('(HTTP code 500) server error - boom '), { statusCode: 500, json: null }))).toBe('boom')
  })
})

describe('summarise', () => {
  it("keeps the cause of an OCI runtime failure and drops the plumbing", () => {
    expect(
      summarise(
        'OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "nope": executable file not found in $PATH: unknown',
      ),
    ).toBe('OCI runtime create failed: exec: "nope": executable file not found in $PATH')
  })
})

describe('pullError', () => {
  it('calls a missing manifest IMAGE_NOT_FOUND, not retryable', () => {
    const error = pullError('127.0.0.1:5000/x:1', 'manifest for 127.0.0.1:5000/x:1 not found: manifest unknown: manifest unknown', 404)
    expect(error).toMatchObject({ code: 'IMAGE_NOT_FOUND', retryable: false })
    expect(error.message).toBe('Image 127.0.0.1:5000/x:1 was not found in its registry; check the name and tag.')
  })

  it('calls an in-band "not found" IMAGE_NOT_FOUND too', () => {
    expect(pullError('a.example/x:1', 'repository a.example/x not found: name unknown', undefined).code).toBe('IMAGE_NOT_FOUND')
  })

  it('names the registry and docker login for an auth failure', () => {
    const error = pullError('registry.example/team/app:3', 'unauthorized: authentication required', undefined)
    expect(error).toMatchObject({ code: 'IMAGE_PULL_FAILED', retryable: true })
    expect(error.message).toBe(
      'Registry registry.example refused to let deckhand pull registry.example/team/app:3 (unauthorized: authentication required); check the image name, then run docker login registry.example as the user deckhand runs as.',
    )
  })

  it("names the instance role for ECR, and reads Docker Hub's ambiguous denial as an auth failure", () => {
    const ecr = pullError('1234.dkr.ecr.eu-west-1.amazonaws.com/proxy:2', 'no basic auth credentials', 500)
    expect(ecr.message).toContain('give the instance role ecr:GetAuthorizationToken and ecr:BatchGetImage')
    const hub = pullError('acme/private:1', "pull access denied for acme/private, repository does not exist or may require 'docker login': denied", 404)
    expect(hub).toMatchObject({ code: 'IMAGE_PULL_FAILED' })
    expect(hub.message).toContain('Registry docker.io refused')
  })

  it('calls an invalid reference IMAGE_NOT_FOUND, and anything else a retryable failure naming the registry', () => {
    expect(pullError('Bad:Ref', 'invalid reference format: repository name must be lowercase', 400).code).toBe('IMAGE_NOT_FOUND')
    const other = pullError('a.example/x:1', 'Get "https://a.example/v2/": dial tcp: lookup a.example: no such host', 500)
    expect(other).toMatchObject({ code: 'IMAGE_PULL_FAILED', retryable: true })
    expect(other.message).toContain('check that this instance can reach a.example')
  })
})

describe('unreachableError', () => {
  it('names the endpoint and the fix for socket errors, and ignores answered calls', () => {
    const refused = unreachableError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), '/var/run/docker.sock')
    expect(refused).toMatchObject({ code: 'DOCKER_UNREACHABLE', retryable: true })
    expect(refused?.message).toBe('Cannot reach the Docker engine at /var/run/docker.sock; start Docker (systemctl start docker) or set DOCKER_HOST.')
    const denied = unreachableError(Object.assign(new Error('connect EACCES'), { code: 'EACCES' }), '/var/run/docker.sock')
    expect(denied?.message).toContain('run deckhand as root or as a member of the docker group')
    expect(unreachableError(httpError(500, 'boom'), '/var/run/docker.sock')).toBeUndefined()
  })
})

describe("the engine's text treated as input", () => {
  it('blanks the values it is given, escapes control and bidi characters, and keeps one bounded line', () => {
    const error = httpError(500, `exec: "/bin/hunter2-long": stat /bin/hunter2-long: no such file\n\u001b[2Jforged\u202e ${'y'.repeat(1000)}`)
    const said = engineMessage(error, ['hunter2-long', 'ab'])
    expect(said).toMatch(/^exec: "\/bin\/\*\*\*": stat \/bin\/\*\*\*: no such file \\x1b\[2Jforged\\u202e y+…$/)
    expect(said.length).toBe(500)
  })

  it('reads the values out of an engine Env list, and out of a container config', () => {
    expect(envValues(['A=1', 'B=x=y', 'NOVALUE', 'C='])).toEqual(['1', 'x=y', ''])
    expect(envValues(null)).toEqual([])
    expect(secretsOf({ env: { A: 'one', B: 'two' } })).toEqual(['one', 'two'])
  })

  it("escapes a registry's answer quoted in a pull error", () => {
    expect(pullError('127.0.0.1:5000/x:1', 'proxy said \u001b[2J\nno', 502).message).toBe(
      'Pulling 127.0.0.1:5000/x:1 from 127.0.0.1:5000 failed (proxy said \\x1b[2J no); check that this instance can reach 127.0.0.1:5000.',
    )
  })
})
