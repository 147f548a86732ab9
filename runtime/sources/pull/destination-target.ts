/**
 * What an on-failure destination names, read as the event sources' send
 * reads it: an SNS topic ARN or `topic:<name>`, an S3 bucket ARN or
 * `bucket:<name>`, and anything else a function (name or ARN). Both the
 * mappings' check at create and `EventSources#send` read it here, so what a
 * mapping checks is what a discarded batch is later sent to.
 */
export type DestinationTarget =
  | { kind: 'topic'; name: string; region?: string; accountId?: string }
  | { kind: 'bucket'; name: string }
  | { kind: 'function'; name: string };

const SNS_ARN = /^arn:aws[a-z-]*:sns:([^:]+):(\d{12}):(.+)$/;
const S3_ARN = /^arn:aws[a-z-]*:s3:::(.+)$/;

/** The destination's kind and name. */
export function destinationTarget(destination: string): DestinationTarget {
  const sns = SNS_ARN.exec(destination);
  if (sns) return { kind: 'topic', name: sns[3]!, region: sns[1]!, accountId: sns[2]! };
  if (destination.startsWith('topic:')) return { kind: 'topic', name: destination.slice('topic:'.length) };
  const s3 = S3_ARN.exec(destination);
  if (s3) return { kind: 'bucket', name: s3[1]! };
  if (destination.startsWith('bucket:')) return { kind: 'bucket', name: destination.slice('bucket:'.length) };
  return { kind: 'function', name: destination };
}
