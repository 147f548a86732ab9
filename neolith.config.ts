import { defineConfig } from 'neolith';
import { LIMITS } from './resolvers/_shared/input.js';

/**
 * The reference app: jobs under resolvers/, packaged one function per domain,
 * its data in tables, and one example of each event source:
 *
 * - pull: placing an order writes `orders` → its change stream → a mapping
 *   invokes notifications/onOrderChange;
 * - push: an upload to the `avatars` bucket under `users/` invokes
 *   users/makeThumbnail; a message on `user-events` fans out to two jobs.
 */
export default defineConfig({
  jobs: {
    dir: 'resolvers',
    layout: 'micro',
    settings: {
      // The async mutation: a slow pretend payment (about 1 s) that sometimes fails, retried quickly for the demo.
      // Its schema refuses a malformed order before it is queued (Lambda retries every failed attempt; a
      // bad order would fail three times). The job checks the same rules again for callers of the Invoke API.
      // What the schema lets through, the job's checks take: lengths are code points in both (JSON Schema's
      // maxLength), and a userId is 1–256 printable ASCII characters, ids the job's 256-byte rule takes.
      'orders/placeOrder': {
        timeoutMs: 10_000,
        async: { maxRetries: 2, retryDelaysMs: [1_000, 2_000] },
        inputSchema: {
          type: 'object',
          required: ['arguments'],
          properties: {
            arguments: {
              type: 'object',
              required: ['input'],
              properties: {
                input: {
                  type: 'object',
                  required: ['userId', 'items'],
                  properties: {
                    userId: { type: 'string', pattern: `^[\\x21-\\x7e]{1,${LIMITS.idBytes}}$` },
                    items: {
                      type: 'array', minItems: 1, maxItems: LIMITS.orderItems,
                      items: {
                        type: 'object',
                        required: ['sku', 'quantity'],
                        properties: { sku: { type: 'string', minLength: 1, maxLength: LIMITS.skuChars }, quantity: { type: 'integer', minimum: 1, maximum: LIMITS.quantity } },
                      },
                    },
                    delayMs: { type: ['integer', 'null'], minimum: 0, maximum: LIMITS.delayMs },
                    failAttempts: { type: ['integer', 'null'], minimum: 0, maximum: LIMITS.failAttempts },
                    alwaysFail: { type: ['boolean', 'null'] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  tables: {
    users: { partitionKey: 'id' },
    'user-emails': { partitionKey: 'email' },
    posts: { partitionKey: 'id' },
    comments: { partitionKey: 'id' },
    products: { partitionKey: 'sku' },
    orders: { partitionKey: 'id' },
    notifications: { partitionKey: 'id' },
    counters: { partitionKey: 'name' },
    'user-activity': { partitionKey: 'userId', sortKey: 'at' },
  },
  buckets: {
    // users/makeThumbnail reads the same limit (LIMITS.avatarBytes) and skips a thumbnail that would pass it.
    avatars: { maxObjectBytes: LIMITS.avatarBytes, notifications: [{ events: ['ObjectCreated:*'], prefix: 'users/', function: 'users/makeThumbnail' }] },
  },
  topics: {
    'user-events': { subscriptions: [{ function: 'notifications/welcomeUser' }, { function: 'users/recordUserEvent' }] },
  },
  eventSourceMappings: [
    {
      source: 'table:orders', function: 'notifications/onOrderChange', startingPosition: 'TRIM_HORIZON', batchSize: 100,
      functionResponseTypes: ['ReportBatchItemFailures'], maximumRetryAttempts: 10,
      // New and changed orders only: seed orders (and deletes) never invoke the function.
      filterCriteria: { filters: [{ pattern: { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { seed: [{ exists: false }] } } } }] },
    },
  ],
});
