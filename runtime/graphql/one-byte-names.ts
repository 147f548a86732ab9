import { visit, type DocumentNode, type NameNode, type StringValueNode } from 'graphql';

/**
 * The document with every name held as a one-byte (Latin-1) string. V8 keeps
 * a whole source text at two bytes a character once one character needs it
 * (an en dash in a description), and the names the parser slices from it stay
 * two-byte, as do the property keys made from them. Every event carrying one
 * (`info.parentTypeName`, a parent object's `authorId`) was then stringified,
 * copied to the environment and parsed at two bytes a character: the whole
 * 50-author batch of the reference app. GraphQL names are ASCII, so the copy
 * is exact; made once, when the schema is built.
 */
export function withOneByteNames(document: DocumentNode): DocumentNode {
  return visit(document, {
    Name: (node: NameNode): NameNode => ({ ...node, value: oneByte(node.value) }),
    // Default values and descriptions too (a default goes into every event's arguments), when the
    // text fits in Latin-1: one past it cannot be held one byte a character.
    StringValue: (node: StringValueNode): StringValueNode | undefined => (BEYOND_LATIN1.test(node.value) ? undefined : { ...node, value: oneByte(node.value) }),
  });
}

const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

function oneByte(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}
