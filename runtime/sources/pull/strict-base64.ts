import { InvalidParameterValueError } from '../../errors/index.js';

/**
 * Decodes a Kinesis record's `data` as it travels in JSON: standard base64
 * (RFC 4648 §4: A–Z a–z 0–9 + /, padded with `=` to a multiple of 4), which
 * is how AWS's JSON protocol carries a blob and what Kinesis refuses to parse
 * otherwise. Node's decoder skips what it cannot read (`"!!!"` decodes to no
 * bytes), so a typo would be stored as other bytes; here anything but the
 * canonical encoding of its own bytes is refused. That includes base64url
 * (`-`, `_`), missing padding, whitespace and set padding bits: an encoder
 * never produces them, and accepting some would make two texts one record.
 */
export function decodeStrictBase64(text: string, path: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  // The canonical encoding is one-to-one with the bytes: a text equal to its bytes' encoding is exactly a valid one.
  if (bytes.toString('base64') !== text) {
    throw new InvalidParameterValueError(
      `${path} must be standard base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters; base64url and whitespace are not accepted) (got ${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '...' : ''})`,
    );
  }
  return bytes;
}
