import type { ResolvedAsyncPolicy } from '../config/index.js';

/** An async event, validated and ready to be stored. */
export interface AcceptedEvent {
  requestId: string;
  functionName: string;
  job?: string;
  /** The event as JSON text. */
  payload: string;
  clientContext?: string;
  identity?: unknown;
  policy: ResolvedAsyncPolicy;
}

/**
 * Where `Event` invocations go once validated. Resolves only when the event
 * is durable: the 202 is sent after, never before.
 */
export interface EventQueue {
  accept(event: AcceptedEvent): Promise<void>;
}
