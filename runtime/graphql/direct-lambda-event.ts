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

// Every item of a list resolves the same field node: summarise each node once.
const summaries = new WeakMap<FieldNode, SelectionSummary>();

/** Builds the Direct Lambda event for one resolver call. */
export function directLambdaEvent(
  source: unknown, args: Record<string, unknown>, info: GraphQLResolveInfo,
  identity: GatewayIdentity | null, headers: Record<string, string>,
): DirectLambdaEvent {
  const node = info.fieldNodes[0]!;
  let summary = summaries.get(node);
  if (!summary) {
    summary = summarise(node.selectionSet, info);
    summaries.set(node, summary);
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

function summarise(set: SelectionSetNode | undefined, info: GraphQLResolveInfo): SelectionSummary {
  if (!set) return { list: [], graphql: '' };
  const list: string[] = [];
  collect(set, '', info, list, new Set());
  return { list, graphql: print(set) };
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
