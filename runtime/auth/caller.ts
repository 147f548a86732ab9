/**
 * A verified caller: a principal from `auth.principals` whose SigV4
 * signature matched. Anonymous callers are `undefined` wherever a
 * `Principal | undefined` is taken.
 */
export interface Principal {
  /** Its name in `auth.principals`. */
  name: string;
  accessKeyId: string;
  /** Its AWS account (the host's unless the config says otherwise). */
  accountId: string;
  /** `arn:aws:iam::<account>:user/<name>`, what AWS error messages and policies name. */
  arn: string;
}

/**
 * What a handler sees of its caller in `context.identity` (Invoke API) and
 * in `requestContext.authorizer.iam` (REST routes with `auth: "iam"`).
 */
export interface CallerIdentity {
  principal: string;
  accountId: string;
  accessKeyId: string;
  userArn: string;
}

/** The identity object handed to the function for a verified principal. */
export function callerIdentity(principal: Principal): CallerIdentity {
  return { principal: principal.name, accountId: principal.accountId, accessKeyId: principal.accessKeyId, userArn: principal.arn };
}
