import { visit, type DocumentNode, type NameNode } from 'graphql';

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
    Name: (node: NameNode): NameNode => ({ ...node, value: Buffer.from(node.value, 'latin1').toString('latin1') }),
  });
}
