import type { IncomingMessage } from 'node:http';
import { RequestTooLargeError } from '../errors/index.js';

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops reading
 * and rejects with RequestTooLargeError, so a huge body costs no memory. A
 * body declared over the limit is not read here: its 413 (see sendJson)
 * drops a bounded rest of it or closes the connection, and a client waiting
 * for 100 Continue gets none.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(declared, limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // The 413 (sendJson) reads and drops what follows, within its budget.
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(size, limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(size: number, limit: number): RequestTooLargeError {
  return new RequestTooLargeError(`Request must be smaller than ${limit} bytes for the InvokeFunction operation (got at least ${size})`);
}
