import ts from 'typescript';
import { readRepoFile } from './repo-files.ts';

const DATABASE_FILE = 'packages/db/src/database.ts';

/**
 * The `Database` interface of @ach/db (what every query is typed against): relation name →
 * column names, read from the source with the TypeScript parser. Unqualified names are `public.`.
 */
export function databaseInterfaceColumns(): Map<string, string[]> {
  const source = ts.createSourceFile(DATABASE_FILE, readRepoFile(DATABASE_FILE), ts.ScriptTarget.Latest, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  });
  const nameOf = (name: ts.PropertyName) => (ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : name.getText(source));
  const columns = new Map<string, string[]>();
  for (const member of interfaces.get('Database')?.members ?? []) {
    if (!ts.isPropertySignature(member) || !member.name || !member.type || !ts.isTypeReferenceNode(member.type)) continue;
    const relation = nameOf(member.name);
    const rowType = interfaces.get(member.type.typeName.getText(source));
    const names = (rowType?.members ?? []).filter(ts.isPropertySignature).flatMap((m) => (m.name ? [nameOf(m.name)] : []));
    columns.set(relation.includes('.') ? relation : `public.${relation}`, names);
  }
  return columns;
}
