import { describe, expect, it } from 'vitest'
import { serviceFromFile, up, type UpEnvironment } from '../../src/cli/up.js'

describe('up', () => {
  it('refuses a service name that would become a path outside the state dir, before anything runs', async () => {
    // Nothing of the environment is touched: an empty one proves the check comes first.
    const env = {} as UpEnvironment
    await expect(up({ file: 'examples/web.yaml', service: '../../x' }, env)).rejects.toMatchObject({
      code: 'ENVIRONMENT_INVALID',
      message: 'The service name "../../x" is not allowed; a service name is 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit (pass --service with such a name).',
    })
  })

  it('derives a valid service name from any file name', () => {
    expect(serviceFromFile('examples/web.yaml')).toBe('web')
    expect(serviceFromFile('/tmp/_My App.yaml')).toBe('my-app')
    expect(serviceFromFile('/tmp/.yaml')).toBe('yaml')
    expect(serviceFromFile('/tmp/---.yaml')).toBe('local')
  })
})
