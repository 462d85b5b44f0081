import { Node } from 'ts-morph';
import { qualifiedId } from '../manifest/keys.js';

/**
 * A readable, line-free name for a declaration: `fn`, `Class.method`,
 * `obj.method`, `const x = () => ...` -> `x`. Returns undefined for anonymous
 * functions (callbacks), which belong to their enclosing named function.
 */
export function declarationName(node: Node): string | undefined {
  if (Node.isFunctionDeclaration(node)) return node.getName() ?? 'default';
  if (
    Node.isMethodDeclaration(node) ||
    Node.isMethodSignature(node) ||
    Node.isPropertyDeclaration(node) ||
    Node.isPropertySignature(node) ||
    Node.isGetAccessorDeclaration(node) ||
    Node.isSetAccessorDeclaration(node)
  ) {
    const owner = node.getParent();
    const member = node.getName();
    if (
      owner &&
      (Node.isClassDeclaration(owner) || Node.isClassExpression(owner) || Node.isInterfaceDeclaration(owner))
    ) {
      return `${owner.getName() ?? 'default'}.${member}`;
    }
    if (owner && Node.isObjectLiteralExpression(owner)) {
      const holder = owner.getParent();
      if (holder && Node.isVariableDeclaration(holder)) return `${holder.getName()}.${member}`;
    }
    return member;
  }
  if (Node.isConstructorDeclaration(node)) {
    const owner = node.getParent();
    return `${Node.isClassDeclaration(owner) ? (owner.getName() ?? 'default') : 'class'}.constructor`;
  }
  if (Node.isVariableDeclaration(node)) return node.getName();
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) {
    const p = node.getParent();
    if (p && Node.isVariableDeclaration(p)) return p.getName();
    if (p && Node.isPropertyAssignment(p)) {
      const obj = p.getParent();
      const holder = obj?.getParent();
      if (holder && Node.isVariableDeclaration(holder)) return `${holder.getName()}.${p.getName()}`;
      return p.getName();
    }
    if (p && Node.isPropertyDeclaration(p)) return declarationName(p);
    return undefined;
  }
  if (
    Node.isInterfaceDeclaration(node) ||
    Node.isTypeAliasDeclaration(node) ||
    Node.isClassDeclaration(node) ||
    Node.isEnumDeclaration(node)
  ) {
    return node.getName() ?? 'default';
  }
  return undefined;
}

/**
 * Make ids unique: when two declarations share a name, each is qualified with
 * its relative file (`name@src/a.ts`). Deterministic for a given program.
 */
export function uniqueIds<T>(
  items: Array<{ name: string; file: string; value: T }>,
): Array<{ id: string; file: string; value: T }> {
  const count = new Map<string, number>();
  for (const it of items) count.set(it.name, (count.get(it.name) ?? 0) + 1);
  return items.map((it) => ({
    id: count.get(it.name)! > 1 ? qualifiedId(it.name, it.file) : it.name,
    file: it.file,
    value: it.value,
  }));
}
