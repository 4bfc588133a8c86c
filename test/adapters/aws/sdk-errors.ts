/** SDK-shaped failures, as the clients throw them after their own retries. */
export function serviceError(name: string, options: { status?: number; fault?: 'client' | 'server'; message?: string } = {}): Error {
  const status = options.status ?? 400
  return Object.assign(new Error(options.message ?? `${name} happened`), {
    name,
    $fault: options.fault ?? (status >= 500 ? 'server' : 'client'),
    $metadata: { httpStatusCode: status, attempts: 5 },
  })
}

export function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code })
}
