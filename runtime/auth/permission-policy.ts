import { randomUUID } from 'node:crypto';
import { AccessDeniedError, InvalidParameterValueError, PolicyLengthExceededError, ResourceConflictError, ResourceNotFoundError } from '../errors/index.js';
import type { Principal } from './caller.js';
import type { PrincipalDirectory } from './principal-directory.js';

/** One statement of a function's resource-based policy, as Lambda's GetPolicy shows it. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: '*' | { AWS: string } | { Service: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

/** AddPermission's request fields neolith understands. */
export interface AddPermissionInput {
  StatementId?: unknown;
  Action?: unknown;
  Principal?: unknown;
  SourceArn?: unknown;
  SourceAccount?: unknown;
}

/** What the policy needs to know of the host. */
export interface PermissionPolicyOptions {
  accountId: string;
  /** `auth.permissions`, keys already normalised by `normaliseKey`. */
  permissions: Record<string, string[]>;
  principals: PrincipalDirectory;
  /** ARN of a function, for statements and messages. */
  arnOf: (functionName: string) => string;
  /**
   * The job a function runs when called by its own name (its only one): a
   * question about the function is then one about that job, so a job's
   * permissions hide it from listings as they refuse it at invoke.
   */
  jobOf?: (functionName: string) => string | undefined;
}

/** Key of a job in the permission maps (function names and jobs never collide: jobs hold a "/"). */
export const jobKey = (job: string): string => `job:${job}`;

const SID = /^[a-zA-Z0-9_-]{1,100}$/;
/** Statement ids of `auth.permissions` entries; AddPermission may not take them. */
const CONFIG_SID = 'neolith-config-';
const ACTION = /^(lambda:\*|lambda:[a-zA-Z]+|\*)$/;
/** Lambda's resource-based policy limit per function, bytes. */
const MAX_POLICY_BYTES = 20 * 1024;

/**
 * Who may do what to which function: Lambda's resource-based policy model.
 *
 * - A statement (from `auth.permissions` or `AddPermission`) names a
 *   principal (`*`, an account, a user ARN or a principal name) and an action.
 * - A principal of another account may do exactly what statements grant it.
 * - A principal of the host's account may do anything to a function that
 *   `auth.permissions` does not list (its IAM identity is trusted, as an
 *   account's own users are), or that lists it; a listed function it is named
 *   on only by an added statement, just that statement's action (and reads).
 */
export class PermissionPolicy {
  readonly #options: PermissionPolicyOptions;
  /** Function name, `job:<job>` or `*` → statements from the config file. */
  readonly #fromConfig = new Map<string, PolicyStatement[]>();
  /** Function name → statements added through AddPermission. */
  #added = new Map<string, PolicyStatement[]>();
  readonly #revisions = new Map<string, string>();

  constructor(options: PermissionPolicyOptions) {
    this.#options = options;
    for (const [key, who] of Object.entries(options.permissions)) {
      const resource = key === '*' ? '*' : key.startsWith('job:') ? key.slice(4) : options.arnOf(key);
      this.#fromConfig.set(key, who.map((name, i) => ({
        Sid: `${CONFIG_SID}${i}`, Effect: 'Allow', Principal: this.#principalOf(name), Action: 'lambda:InvokeFunction', Resource: resource,
      })));
    }
  }

  /**
   * Throws AccessDeniedError (naming the principal, the action and the
   * function) unless `caller` may do `action` to the function (or its job).
   */
  check(caller: Principal, action: string, functionName: string, job?: string): void {
    if (!this.allows(caller, action, functionName, job)) {
      throw new AccessDeniedError(
        `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${this.#options.arnOf(functionName)} because no resource-based policy allows the ${action} action`,
      );
    }
  }

  /** Whether `check` would let the caller through; no error built (read filters ask it per entry). */
  allows(caller: Principal, action: string, functionName: string, job = this.#options.jobOf?.(functionName)): boolean {
    const statements = this.#applicable(functionName, job);
    if (caller.accountId !== this.#options.accountId) return statements.some((s) => matches(s, caller) && covers(s.Action, action));
    // The account's own principal: free on a function nobody restricted, and on one whose config
    // names it; a statement added at runtime lets it see the function and do only what its Action covers.
    return !this.#restricted(functionName, job) || statements.some((s) => matches(s, caller) && (isFromConfig(s) || covers(s.Action, action) || READS.has(action)));
  }

  /** Account-wide actions (ListFunctions): the host's own account only. */
  checkAccount(caller: Principal, action: string): void {
    if (caller.accountId !== this.#options.accountId) {
      throw new AccessDeniedError(`User: ${caller.arn} is not authorized to perform: ${action} on resource: * because no identity-based policy allows the ${action} action`);
    }
  }

  // ---------------------------------------------------------------------------
  // GetPolicy, AddPermission, RemovePermission
  // ---------------------------------------------------------------------------

  /** The function's policy document and revision; ResourceNotFoundError when it has none. */
  policyOf(functionName: string): { Policy: string; RevisionId: string } {
    const statements = [
      ...(this.#fromConfig.get('*') ?? []), ...(this.#fromConfig.get(functionName) ?? []), ...(this.#added.get(functionName) ?? []),
    ];
    if (statements.length === 0) throw new ResourceNotFoundError('The resource you requested does not exist.');
    return {
      Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }),
      RevisionId: this.#revision(functionName),
    };
  }

  /** Adds a statement (AddPermission); returns it. */
  add(functionName: string, input: AddPermissionInput): PolicyStatement {
    const { StatementId: sid, Action: action, Principal: principal } = input;
    if (typeof sid !== 'string' || !SID.test(sid)) throw invalid('statementId', sid, SID);
    if (typeof action !== 'string' || !ACTION.test(action)) throw invalid('action', action, ACTION);
    if (typeof principal !== 'string' || !/^\S+$/.test(principal)) throw invalid('principal', principal, /\S+/);
    const existing = this.#added.get(functionName) ?? [];
    if (existing.some((s) => s.Sid === sid) || sid.startsWith(CONFIG_SID)) {
      throw new ResourceConflictError(`The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
    }
    const statement: PolicyStatement = {
      Sid: sid, Effect: 'Allow', Principal: this.#principalOf(principal), Action: action, Resource: this.#options.arnOf(functionName),
    };
    const condition: Record<string, Record<string, string>> = {};
    if (typeof input.SourceArn === 'string') condition.ArnLike = { 'AWS:SourceArn': input.SourceArn };
    if (typeof input.SourceAccount === 'string') condition.StringEquals = { 'AWS:SourceAccount': input.SourceAccount };
    if (Object.keys(condition).length > 0) statement.Condition = condition;
    const statements = [...existing, statement];
    // Lambda's limit: it bounds what each AddPermission rewrites and each invoke checks.
    const length = Buffer.byteLength(JSON.stringify({
      Version: '2012-10-17', Id: 'default',
      Statement: [...(this.#fromConfig.get('*') ?? []), ...(this.#fromConfig.get(functionName) ?? []), ...statements],
    }));
    if (length > MAX_POLICY_BYTES) {
      throw new PolicyLengthExceededError(`The final policy size (${length}) is bigger than the limit (${MAX_POLICY_BYTES}).`);
    }
    this.#added.set(functionName, statements);
    this.#revisions.set(functionName, randomUUID());
    return statement;
  }

  /** Removes a statement added with AddPermission (RemovePermission). */
  remove(functionName: string, sid: string): void {
    const existing = this.#added.get(functionName) ?? [];
    if (!existing.some((s) => s.Sid === sid)) {
      if (sid.startsWith(CONFIG_SID)) throw new InvalidParameterValueError(`Statement ${sid} comes from auth.permissions in the config file; change it there`);
      throw new ResourceNotFoundError(`Statement ${sid} is not found in resource policy.`);
    }
    this.#added.set(functionName, existing.filter((s) => s.Sid !== sid));
    this.#revisions.set(functionName, randomUUID());
  }

  /** Statements added at runtime, per function (what the state store persists). */
  added(): Record<string, PolicyStatement[]> {
    return Object.fromEntries([...this.#added].filter(([, list]) => list.length > 0));
  }

  /** Restores statements saved by an earlier run. */
  restore(saved: Record<string, PolicyStatement[]>): void {
    this.#added = new Map(Object.entries(saved));
  }

  #applicable(functionName: string, job: string | undefined): PolicyStatement[] {
    const c = this.#fromConfig;
    return [
      ...(c.get('*') ?? []), ...(c.get(functionName) ?? []), ...(job !== undefined ? c.get(jobKey(job)) ?? [] : []),
      ...(this.#added.get(functionName) ?? []),
    ];
  }

  #restricted(functionName: string, job: string | undefined): boolean {
    const c = this.#fromConfig;
    return c.has('*') || c.has(functionName) || (job !== undefined && c.has(jobKey(job)));
  }

  #revision(functionName: string): string {
    let revision = this.#revisions.get(functionName);
    if (!revision) {
      revision = randomUUID();
      this.#revisions.set(functionName, revision);
    }
    return revision;
  }

  /** A principal as written in config or AddPermission → the policy's Principal element. */
  #principalOf(name: string): PolicyStatement['Principal'] {
    if (name === '*') return '*';
    if (/^\d{12}$/.test(name)) return { AWS: `arn:aws:iam::${name}:root` };
    if (/^arn:aws[a-z-]*:iam::\d{12}:(root|user\/\S+|role\/\S+)$/.test(name)) return { AWS: name };
    if (/^[a-z0-9.-]+\.amazonaws\.com$/.test(name)) return { Service: name };
    const principal = this.#options.principals.byName(name);
    if (principal) return { AWS: principal.arn };
    throw new InvalidParameterValueError(`The provided principal was invalid: ${JSON.stringify(name.slice(0, 200))} is not "*", an account id, an IAM ARN, a service principal or a principal of auth.principals`);
  }
}

/** Actions that only look at a function: a principal any statement names may see the function it may use. */
const READS = new Set(['lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:GetPolicy', 'lambda:GetFunctionConcurrency', 'lambda:GetFunctionEventInvokeConfig', 'lambda:ListVersionsByFunction', 'lambda:ListAliases']);

const isFromConfig = (statement: PolicyStatement): boolean => statement.Sid.startsWith(CONFIG_SID);

function matches(statement: PolicyStatement, caller: Principal): boolean {
  // aws:SourceArn and aws:SourceAccount exist only when a service calls on a resource's behalf;
  // a principal's own signed call has neither, so a statement that conditions on them does not match it.
  if (statement.Condition) return false;
  const p = statement.Principal;
  if (p === '*') return true;
  if (!('AWS' in p)) return false;
  return p.AWS === caller.arn || p.AWS === `arn:aws:iam::${caller.accountId}:root`;
}

function covers(granted: string, wanted: string): boolean {
  return granted === wanted || granted === 'lambda:*' || granted === '*'
    || (granted === 'lambda:GetFunction' && wanted === 'lambda:GetFunctionConfiguration');
}

function invalid(member: string, value: unknown, pattern: RegExp): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `1 validation error detected: Value '${String(value).slice(0, 200)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
  );
}
