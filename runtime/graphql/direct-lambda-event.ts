import { Kind, print, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { GatewayIdentity } from './identity-verifier.js';

/**
 * The event a job receives for one field: AppSync's Direct Lambda resolver
 * context, so a handler written for AppSync runs unchanged.
 */
export interface DirectLambdaEvent {
  arguments: Record<string, unknown>;
  /** The parent object (`null` on root fields). */
  source: unknown;
  identity: GatewayIdentity | null;
  request: { headers: Record<string, string> };
  info: {
    fieldName: string;
    parentTypeName: string;
    variables: Record<string, unknown>;
    /** Selected fields under this one, nested ones as `author/name` (fragments flattened). */
    selectionSetList: string[];
    /** The field's selection set as GraphQL text (`""` for a leaf). */
    selectionSetGraphQL: string;
  };
}

interface SelectionSummary {
  list: string[];
  graphql: string;
}

// Every item of a list resolves the same field nodes (graphql-js collects them once per parent type and
// reuses the array): summarise each array once.
const summaries = new WeakMap<readonly FieldNode[], SelectionSummary>();

/** Builds the Direct Lambda event for one resolver call. */
export function directLambdaEvent(
  source: unknown, args: Record<string, unknown>, info: GraphQLResolveInfo,
  identity: GatewayIdentity | null, headers: Record<string, string>,
): DirectLambdaEvent {
  let summary = summaries.get(info.fieldNodes);
  if (!summary) {
    summary = summarise(info.fieldNodes, info);
    summaries.set(info.fieldNodes, summary);
  }
  return {
    arguments: args,
    source: source ?? null,
    identity,
    request: { headers },
    info: {
      fieldName: info.fieldName,
      parentTypeName: info.parentType.name,
      variables: info.variableValues,
      selectionSetList: summary.list,
      selectionSetGraphQL: summary.graphql,
    },
  };
}

/** One field may be asked for more than once (`{ user { id } user { name } }`): GraphQL merges them, so does this. */
function summarise(nodes: readonly FieldNode[], info: GraphQLResolveInfo): SelectionSummary {
  const sets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  if (sets.length === 0) return { list: [], graphql: '' };
  const merged: SelectionSetNode = sets.length === 1 ? sets[0]! : { kind: Kind.SELECTION_SET, selections: sets.flatMap((set) => set.selections) };
  const list: string[] = [];
  collect(merged, '', info, list, new Set());
  return { list, graphql: print(merged) };
}

function collect(set: SelectionSetNode, prefix: string, info: GraphQLResolveInfo, out: string[], seen: Set<string>): void {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      // AppSync lists field names, never aliases.
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      const path = prefix + name;
      if (!seen.has(path)) {
        seen.add(path);
        out.push(path);
      }
      if (selection.selectionSet) collect(selection.selectionSet, `${path}/`, info, out, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(selection.selectionSet, prefix, info, out, seen);
    } else {
      const fragment = info.fragments[selection.name.value];
      if (fragment) collect(fragment.selectionSet, prefix, info, out, seen);
    }
  }
}
