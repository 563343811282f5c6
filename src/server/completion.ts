// Completion of keys (required ones first) and of scalar values (enums, booleans, apiVersion and kind) from the
// schema at the cursor's path.
import {
  CompletionItemKind,
  InsertTextFormat,
  InsertTextMode,
  MarkupKind,
  type CompletionItem,
  type CompletionList,
  type Position,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { schemaAtPath, type SchemaNode, type SchemaStore } from './schema/store';
import { rootSchema, shapeOf, typeName, valueChoices } from './schemaInfo';
import { cursorContext, documentType, splitLines, type PathSegment } from './yamlPath';

/** Keys every Kubernetes object starts with, offered while the document has no known kind yet. */
const OBJECT_KEYS = ['apiVersion', 'kind', 'metadata', 'spec'];

function escapeSnippet(s: string): string {
  return s.replace(/[$}\\]/g, '\\$&');
}

/** The key as YAML text: plain when it can be, else double-quoted. */
function yamlKey(key: string): string {
  return /^[A-Za-z0-9_][\w.\-/]*$/.test(key) ? key : JSON.stringify(key);
}

function keyItem(
  key: string,
  node: SchemaNode | undefined,
  required: boolean,
  ctx: { start: number; end: number; line: number; hasColon: boolean; flow: boolean },
): CompletionItem {
  const shape = shapeOf(node);
  const name = yamlKey(key);
  let snippet: string;
  if (ctx.hasColon) snippet = escapeSnippet(name);
  else if (ctx.flow) snippet = `${escapeSnippet(name)}: $0`;
  else if (shape.types.has('array')) snippet = `${escapeSnippet(name)}:\n  - $0`;
  else if (shape.types.has('object') || shape.properties.size) snippet = `${escapeSnippet(name)}:\n  $0`;
  else {
    const choices = valueChoices(node);
    snippet =
      choices.length > 1
        ? `${escapeSnippet(name)}: \${1|${choices.map((c) => c.replace(/[,|\\$}]/g, '\\$&')).join(',')}|}`
        : `${escapeSnippet(name)}: $0`;
  }
  return {
    label: key,
    kind: CompletionItemKind.Property,
    detail: `${typeName(node)}${required ? ' (required)' : ''}`,
    documentation: shape.description ? { kind: MarkupKind.Markdown, value: shape.description } : undefined,
    sortText: `${required ? '0' : '1'}${key}`,
    filterText: key,
    insertTextFormat: InsertTextFormat.Snippet,
    insertTextMode: InsertTextMode.adjustIndentation,
    textEdit: {
      range: { start: { line: ctx.line, character: ctx.start }, end: { line: ctx.line, character: ctx.end } },
      newText: snippet,
    },
  };
}

function valueItems(
  values: string[],
  line: number,
  start: number,
  end: number,
  detail?: string,
): CompletionItem[] {
  return values.map((v, i) => ({
    label: v,
    kind: CompletionItemKind.Value,
    detail,
    sortText: String(i).padStart(5, '0'),
    textEdit: { range: { start: { line, character: start }, end: { line, character: end } }, newText: v },
  }));
}

export function complete(doc: TextDocument, pos: Position, store: SchemaStore): CompletionList {
  const lines = splitLines(doc.getText());
  const ctx = cursorContext(lines, pos.line, pos.character);
  const empty: CompletionList = { isIncomplete: false, items: [] };
  if (ctx.kind === 'none') return empty;
  const type = documentType(lines, ctx.span);
  const root = rootSchema(store, type);

  if (ctx.kind === 'value') {
    const path = ctx.path;
    if (path.length === 1 && (path[0] === 'apiVersion' || path[0] === 'kind')) {
      const kinds = store.kinds();
      const values =
        path[0] === 'apiVersion'
          ? kinds.filter((k) => !type.kind || k.kind === type.kind).map((k) => k.apiVersion)
          : kinds.filter((k) => !type.apiVersion || k.apiVersion === type.apiVersion).map((k) => k.kind);
      return {
        isIncomplete: false,
        items: valueItems([...new Set(values)].sort(), pos.line, ctx.start, pos.character, path[0]),
      };
    }
    if (!root) return empty;
    const node = schemaAtPath(root, path);
    return { isIncomplete: false, items: valueItems(valueChoices(node), pos.line, ctx.start, pos.character) };
  }

  const range = { line: pos.line, start: ctx.start, end: ctx.end, hasColon: ctx.hasColon, flow: ctx.flow };
  const existing = new Set(ctx.existing);
  if (!root) {
    if (ctx.path.length) return empty;
    const items = OBJECT_KEYS.filter((k) => !existing.has(k)).map((k, i) =>
      keyItem(k, undefined, i < 2, range),
    );
    // Plain scalars for the two identity keys.
    for (const it of items) {
      if ((it.label === 'apiVersion' || it.label === 'kind') && it.textEdit && 'range' in it.textEdit) {
        it.textEdit.newText = ctx.hasColon ? it.label : `${it.label}: $0`;
        it.detail = 'string (required)';
      }
    }
    return { isIncomplete: false, items };
  }
  const node = schemaAtPath(root, ctx.path as PathSegment[]);
  const shape = shapeOf(node);
  if (shape.properties.size === 0) {
    // A scalar sequence item typed without a key (`- Rea|`) takes a value.
    const choices = valueChoices(node);
    return { isIncomplete: false, items: valueItems(choices, pos.line, ctx.start, ctx.end) };
  }
  const items: CompletionItem[] = [];
  for (const [key, child] of shape.properties) {
    if (existing.has(key)) continue;
    items.push(keyItem(key, child, shape.required.has(key), range));
  }
  return { isIncomplete: false, items };
}
