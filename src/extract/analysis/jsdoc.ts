import { Node } from 'ts-morph';

export interface DocTag {
  name: string;
  /** The tag's comment text, whitespace-normalized. */
  text: string;
  /** The tag node, for located errors. */
  node: Node;
}

/**
 * The node that carries JSDoc for a declaration: `const x = () => ...` keeps
 * its JSDoc on the VariableStatement, everything else on the declaration.
 */
export function jsDocHost(node: Node): Node {
  if (Node.isVariableDeclaration(node)) {
    const stmt = node.getVariableStatement();
    if (stmt) return stmt;
  }
  if ((Node.isArrowFunction(node) || Node.isFunctionExpression(node)) && Node.isVariableDeclaration(node.getParent())) {
    return jsDocHost(node.getParentOrThrow());
  }
  return node;
}

/** All JSDoc tags on a declaration (or its host statement). */
export function docTags(node: Node): DocTag[] {
  const host = jsDocHost(node);
  if (!Node.isJSDocable(host)) return [];
  const out: DocTag[] = [];
  for (const doc of host.getJsDocs()) {
    for (const tag of doc.getTags()) {
      const text = (tag.getCommentText() ?? '').replace(/\s+/g, ' ').trim();
      out.push({ name: tag.getTagName(), text, node: tag });
    }
  }
  return out;
}

export function hasTag(node: Node, name: string): boolean {
  return docTags(node).some((t) => t.name === name);
}
