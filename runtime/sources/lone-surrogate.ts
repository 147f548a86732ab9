/**
 * Whether text holds a lone surrogate: it has no UTF-8 form, so a key or
 * name holding one cannot be stored as given (SQLite and Redis keep UTF-8;
 * two such keys would become one). DynamoDB and S3 refuse such strings too.
 */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

// With the u flag a well-formed pair is one code point, so only a lone half matches.
const LONE_SURROGATE = /\p{Surrogate}/u;
