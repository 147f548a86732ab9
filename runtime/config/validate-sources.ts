import { checkMappingParams, filterCriteriaFromConfig, type MappingParams } from './mapping-params.js';
import type { ProblemList } from './problem-list.js';
import { DEFAULT_SOURCE_OPTIONS, type ResolvedSources, type SourcesConfig } from './sources-options.js';

/** Top-level keys this part validates. */
export const SOURCES_TOP_LEVEL_KEYS = ['buckets', 'topics', 'streams', 'tables', 'eventSourceMappings'] as const;

/** S3's bucket name rule. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** SNS's topic name rule. */
export const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
/** Kinesis' stream name rule. */
export const STREAM_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** DynamoDB's table name rule. */
export const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
/** S3 event names a notification may list. */
export const S3_EVENTS = [
  'ObjectCreated:*', 'ObjectCreated:Put', 'ObjectCreated:Post', 'ObjectCreated:Copy', 'ObjectCreated:CompleteMultipartUpload',
  'ObjectRemoved:*', 'ObjectRemoved:Delete', 'ObjectRemoved:DeleteMarkerCreated',
];

const MAPPING_KEYS: Record<string, keyof MappingParams | null> = {
  source: null, function: null, batchSize: 'BatchSize', maximumBatchingWindowInSeconds: 'MaximumBatchingWindowInSeconds',
  startingPosition: 'StartingPosition', startingPositionTimestamp: 'StartingPositionTimestamp', parallelizationFactor: 'ParallelizationFactor',
  bisectBatchOnFunctionError: 'BisectBatchOnFunctionError', maximumRetryAttempts: 'MaximumRetryAttempts',
  maximumRecordAgeInSeconds: 'MaximumRecordAgeInSeconds', functionResponseTypes: 'FunctionResponseTypes', onFailure: 'OnFailure', enabled: 'Enabled', filterCriteria: 'FilterCriteria',
};

/** Checks the shape of the sources sections; names of functions and sources are checked by {@link resolveSources}. */
export function validateSources(p: ProblemList, raw: Record<string, unknown>): void {
  if (raw.buckets !== undefined && p.object('buckets', raw.buckets)) {
    for (const [name, b] of Object.entries(raw.buckets)) {
      const path = `buckets.${name}`;
      if (!BUCKET_NAME.test(name)) p.add(path, 'have a name of 3–63 lowercase letters, digits, "." or "-"', name);
      if (!p.object(path, b)) continue;
      p.knownKeys(path, b, ['notifications', 'maxObjectBytes']);
      if (b.maxObjectBytes !== undefined) p.integer(`${path}.maxObjectBytes`, b.maxObjectBytes, 1, 5 * 1024 * 1024 * 1024);
      if (b.notifications === undefined) continue;
      if (!Array.isArray(b.notifications)) {
        p.add(`${path}.notifications`, 'be an array', b.notifications);
        continue;
      }
      b.notifications.forEach((n: unknown, i) => {
        const np = `${path}.notifications[${i}]`;
        if (!p.object(np, n)) return;
        p.knownKeys(np, n, ['events', 'prefix', 'suffix', 'function']);
        if (!Array.isArray(n.events) || n.events.length === 0 || n.events.some((e) => typeof e !== 'string' || !S3_EVENTS.includes(e.replace(/^s3:/, '')))) {
          p.add(`${np}.events`, `be a non-empty array of ${S3_EVENTS.join(', ')}`, n.events);
        }
        if (n.prefix !== undefined && typeof n.prefix !== 'string') p.add(`${np}.prefix`, 'be a string', n.prefix);
        if (n.suffix !== undefined && typeof n.suffix !== 'string') p.add(`${np}.suffix`, 'be a string', n.suffix);
        p.string(`${np}.function`, n.function);
      });
    }
  }
  if (raw.topics !== undefined && p.object('topics', raw.topics)) {
    for (const [name, t] of Object.entries(raw.topics)) {
      const path = `topics.${name}`;
      if (!TOPIC_NAME.test(name)) p.add(path, 'have a name of 1–256 letters, digits, "-" or "_"', name);
      if (!p.object(path, t)) continue;
      p.knownKeys(path, t, ['subscriptions']);
      if (t.subscriptions === undefined) continue;
      if (!Array.isArray(t.subscriptions)) {
        p.add(`${path}.subscriptions`, 'be an array', t.subscriptions);
        continue;
      }
      t.subscriptions.forEach((s: unknown, i) => {
        const sp = `${path}.subscriptions[${i}]`;
        if (!p.object(sp, s)) return;
        p.knownKeys(sp, s, ['function', 'filterPolicy', 'filterPolicyScope']);
        p.string(`${sp}.function`, s.function);
        if (s.filterPolicy !== undefined) p.object(`${sp}.filterPolicy`, s.filterPolicy);
        if (s.filterPolicyScope !== undefined && s.filterPolicyScope !== 'MessageAttributes' && s.filterPolicyScope !== 'MessageBody') {
          p.add(`${sp}.filterPolicyScope`, 'be "MessageAttributes" or "MessageBody"', s.filterPolicyScope);
        }
      });
    }
  }
  if (raw.streams !== undefined && p.object('streams', raw.streams)) {
    for (const [name, s] of Object.entries(raw.streams)) {
      const path = `streams.${name}`;
      if (!STREAM_NAME.test(name)) p.add(path, 'have a name of 1–128 letters, digits, ".", "-" or "_"', name);
      if (!p.object(path, s)) continue;
      p.knownKeys(path, s, ['shards', 'retentionHours', 'maxRecordBytes']);
      if (s.shards !== undefined) p.integer(`${path}.shards`, s.shards, 1, 64);
      if (s.retentionHours !== undefined) p.integer(`${path}.retentionHours`, s.retentionHours, 1, 8760);
      if (s.maxRecordBytes !== undefined) p.integer(`${path}.maxRecordBytes`, s.maxRecordBytes, 1, 10 * 1024 * 1024);
    }
  }
  if (raw.tables !== undefined && p.object('tables', raw.tables)) {
    for (const [name, t] of Object.entries(raw.tables)) {
      const path = `tables.${name}`;
      if (!TABLE_NAME.test(name)) p.add(path, 'have a name of 3–255 letters, digits, ".", "-" or "_"', name);
      if (!p.object(path, t)) continue;
      p.knownKeys(path, t, ['partitionKey', 'sortKey', 'streamViewType', 'shards', 'retentionHours']);
      p.string(`${path}.partitionKey`, t.partitionKey);
      if (t.sortKey !== undefined) p.string(`${path}.sortKey`, t.sortKey);
      if (t.sortKey !== undefined && t.sortKey === t.partitionKey) p.add(`${path}.sortKey`, 'differ from partitionKey', t.sortKey);
      if (t.streamViewType !== undefined && !['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'].includes(t.streamViewType as string)) {
        p.add(`${path}.streamViewType`, 'be KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES', t.streamViewType);
      }
      if (t.shards !== undefined) p.integer(`${path}.shards`, t.shards, 1, 64);
      if (t.retentionHours !== undefined) p.integer(`${path}.retentionHours`, t.retentionHours, 1, 8760);
    }
  }
  if (raw.eventSourceMappings !== undefined) {
    if (!Array.isArray(raw.eventSourceMappings)) {
      p.add('eventSourceMappings', 'be an array', raw.eventSourceMappings);
      return;
    }
    raw.eventSourceMappings.forEach((m: unknown, i) => {
      const path = `eventSourceMappings[${i}]`;
      if (!p.object(path, m)) return;
      p.knownKeys(path, m, Object.keys(MAPPING_KEYS));
      p.string(`${path}.source`, m.source);
      p.string(`${path}.function`, m.function);
      const params: Partial<Record<keyof MappingParams, unknown>> = {};
      // Every parameter's config key, present or not: a rule may name an absent one (AT_TIMESTAMP needs startingPositionTimestamp).
      const names = new Map<keyof MappingParams, string>();
      for (const [key, param] of Object.entries(MAPPING_KEYS)) {
        if (!param) continue;
        names.set(param, key);
        if (m[key] !== undefined) params[param] = param === 'FilterCriteria' ? filterCriteriaFromConfig(m[key]) : m[key];
      }
      const kind = typeof m.source === 'string' && (m.source.startsWith('table:') || m.source.includes(':dynamodb:')) ? 'dynamodb' : 'kinesis';
      for (const problem of checkMappingParams(params, (k) => `${path}.${names.get(k) ?? k}`, kind)) p.problems.push(problem);
    });
  }
}

/**
 * Sources with none configured. The dictionaries have no prototype: a name
 * from a request (`constructor`, `__proto__`, `toString`) finds no source
 * rather than an Object method.
 */
export function emptyResolvedSources(): ResolvedSources {
  return { buckets: Object.create(null), topics: Object.create(null), streams: Object.create(null), tables: Object.create(null), eventSourceMappings: [] };
}

/**
 * Applies defaults and checks that every notification, subscription and
 * mapping names a function or job of this layout and an existing source.
 */
export function resolveSources(config: SourcesConfig, isFunction: (name: string) => boolean, p: ProblemList): ResolvedSources {
  const d = DEFAULT_SOURCE_OPTIONS;
  const out = emptyResolvedSources();
  const fn = (path: string, name: string) => {
    if (!isFunction(name)) p.add(path, 'name a function or job of this layout', name);
  };
  for (const [name, b] of Object.entries(config.buckets ?? {})) {
    (b.notifications ?? []).forEach((n, i) => fn(`buckets.${name}.notifications[${i}].function`, n.function));
    out.buckets[name] = { notifications: b.notifications ?? [], maxObjectBytes: b.maxObjectBytes ?? d.maxObjectBytes };
  }
  for (const [name, t] of Object.entries(config.topics ?? {})) {
    (t.subscriptions ?? []).forEach((s, i) => fn(`topics.${name}.subscriptions[${i}].function`, s.function));
    out.topics[name] = { subscriptions: (t.subscriptions ?? []).map((s) => ({ ...s, filterPolicyScope: s.filterPolicyScope ?? 'MessageAttributes' })) };
  }
  for (const [name, s] of Object.entries(config.streams ?? {})) {
    out.streams[name] = { shards: s.shards ?? d.shards, retentionHours: s.retentionHours ?? d.retentionHours, maxRecordBytes: s.maxRecordBytes ?? d.maxRecordBytes };
  }
  for (const [name, t] of Object.entries(config.tables ?? {})) {
    out.tables[name] = {
      partitionKey: t.partitionKey, streamViewType: t.streamViewType ?? d.streamViewType, shards: t.shards ?? d.shards,
      retentionHours: t.retentionHours ?? d.retentionHours, ...(t.sortKey !== undefined && { sortKey: t.sortKey }),
    };
  }
  (config.eventSourceMappings ?? []).forEach((m, i) => {
    fn(`eventSourceMappings[${i}].function`, m.function);
    const [kind, name = ''] = m.source.split(':', 2) as [string, string?];
    if (kind === 'stream' && !out.streams[name]) p.add(`eventSourceMappings[${i}].source`, 'name a stream of this config ("stream:<name>")', m.source);
    else if (kind === 'table' && !out.tables[name]) p.add(`eventSourceMappings[${i}].source`, 'name a table of this config ("table:<name>")', m.source);
    else if (kind !== 'stream' && kind !== 'table' && !m.source.startsWith('arn:')) {
      p.add(`eventSourceMappings[${i}].source`, 'be "stream:<name>", "table:<name>" or a Kinesis / DynamoDB stream ARN', m.source);
    }
    out.eventSourceMappings.push(m);
  });
  return out;
}

