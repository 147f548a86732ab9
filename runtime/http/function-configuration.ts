import { createHash } from 'node:crypto';
import type { RegisteredFunction } from '../invoke/index.js';

const startedAt = new Date().toISOString().replace('Z', '+0000');

/** Lambda's FunctionConfiguration for a function (what ListFunctions and GetFunction return). */
export function functionConfiguration(fn: RegisteredFunction): Record<string, unknown> {
  const spec = fn.spec;
  const handler = spec.lambdaHandler ?? 'jobs';
  return {
    FunctionName: spec.name,
    FunctionArn: fn.arn,
    Runtime: 'nodejs20.x',
    Role: `arn:aws:iam::${fn.arn.split(':')[4]}:role/neolith`,
    Handler: handler,
    CodeSize: 0,
    Description: spec.kind === 'jobs' ? `jobs: ${Object.keys(spec.jobs).join(', ')}` : '',
    Timeout: Math.ceil(spec.timeoutMs / 1000),
    MemorySize: spec.memoryMB,
    LastModified: startedAt,
    CodeSha256: createHash('sha256').update(fn.package.moduleUrl).digest('base64'),
    Version: '$LATEST',
    Environment: { Variables: spec.environment },
    EphemeralStorage: { Size: spec.ephemeralStorageMB },
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    State: 'Active',
    LastUpdateStatus: 'Successful',
  };
}
