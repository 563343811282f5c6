// Hover on a key: its path, type and the schema's description.
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { schemaAtPath, type SchemaStore } from './schema/store';
import { rootSchema, shapeOf, typeName } from './schemaInfo';
import { documentSpanAt, documentType, formatPath, keyAt, splitLines } from './yamlPath';

export function hover(doc: TextDocument, pos: Position, store: SchemaStore): Hover | null {
  const lines = splitLines(doc.getText());
  const at = keyAt(lines, pos.line, pos.character);
  if (!at) return null;
  const type = documentType(lines, documentSpanAt(lines, pos.line));
  const root = rootSchema(store, type);
  if (!root) return null;
  const node = at.path.length ? schemaAtPath(root, at.path) : root;
  if (!node) return null;
  const parent = schemaAtPath(root, at.path.slice(0, -1));
  const last = at.path[at.path.length - 1];
  const required = typeof last === 'string' && shapeOf(parent).required.has(last);
  const shape = shapeOf(node);
  const head = `\`${formatPath(at.path)}\`: \`${typeName(node)}\`${required ? ' (required)' : ''}`;
  const parts = [head];
  if (shape.description) parts.push(shape.description);
  if (shape.enumValues.length)
    parts.push(`Allowed: ${shape.enumValues.map((v) => `\`${String(v)}\``).join(', ')}`);
  return {
    contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n') },
    range: { start: { line: pos.line, character: at.start }, end: { line: pos.line, character: at.end } },
  };
}
