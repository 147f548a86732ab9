/**
 * A short rendering of a refused value for an error message: at most
 * `maxChars` of its JSON. Never throws: a value from a request may be nested
 * past what JSON.stringify's recursion takes (a RangeError, answered 500
 * instead of the caller's 400), or cyclic when it comes from code.
 */
export function previewValue(value: unknown, maxChars = 80): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    const kind = Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
    return `${kind} JSON cannot show (nested too deep, cyclic or a bigint)`;
  }
  if (text === undefined) return String(value);
  return text.length > maxChars ? `${text.slice(0, maxChars)}...` : text;
}
