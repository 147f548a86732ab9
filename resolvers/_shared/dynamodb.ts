/**
 * DynamoDB's attribute-value form back to plain JSON, for the images a table's
 * change stream delivers (what `@aws-sdk/util-dynamodb`'s `unmarshall` does;
 * hand-written here to keep the jobs free of that dependency for five types).
 */
export type AttributeValue =
  | { S: string } | { N: string } | { BOOL: boolean } | { NULL: true }
  | { L: AttributeValue[] } | { M: Record<string, AttributeValue> };

/** One attribute value as JSON. */
export function unmarshallValue(v: AttributeValue): unknown {
  if ('S' in v) return v.S;
  if ('N' in v) return Number(v.N);
  if ('BOOL' in v) return v.BOOL;
  if ('NULL' in v) return null;
  if ('L' in v) return v.L.map(unmarshallValue);
  return unmarshall(v.M);
}

/** An image (`NewImage`, `OldImage`, `Keys`) as a plain object. */
export function unmarshall(image: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, unmarshallValue(v)]));
}

/** One DynamoDB Streams record as Lambda delivers it. */
export interface DynamoDBStreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  dynamodb: {
    Keys: Record<string, AttributeValue>;
    NewImage?: Record<string, AttributeValue>;
    OldImage?: Record<string, AttributeValue>;
    SequenceNumber: string;
  };
}
