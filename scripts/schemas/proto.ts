// A small proto3 parser for what the Kubeflow Pipelines .proto files use (messages, nested messages and
// enums, oneof, map<>, repeated/optional, reserved, options), and the proto3 JSON mapping of the result
// into Gantry schema nodes. Generator-only: the language server never reads .proto files.

export interface ProtoField {
  name: string;
  type: string;
  label?: 'repeated' | 'optional';
  mapKey?: string;
  oneof?: string;
  doc?: string;
}
export interface ProtoEnum {
  fullName: string;
  values: { name: string; number: number }[];
  doc?: string;
}
export interface ProtoMessage {
  fullName: string;
  fields: ProtoField[];
  doc?: string;
}
export interface ProtoFile {
  package: string;
  messages: ProtoMessage[];
  enums: ProtoEnum[];
}

interface Token {
  text: string;
  doc?: string; // the `//` comment block right before the token
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let doc: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      // A blank line detaches a comment block from what follows.
      if (src[i + 1] === '\n') doc = [];
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      const line = src.slice(i + 2, end < 0 ? src.length : end);
      // Trailing comments (code before them on the line) are not documentation of the next token.
      const trailing = src.slice(src.lastIndexOf('\n', i - 1) + 1, i).trim() !== '';
      if (!trailing) doc.push(line.replace(/^ /, ''));
      i = end < 0 ? src.length : end;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      tokens.push({ text: src.slice(i, j + 1) });
      i = j + 1;
      doc = [];
    } else if (/[A-Za-z0-9_.\-+]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_.\-+]/.test(src[j])) j++;
      const text = src.slice(i, j);
      tokens.push(doc.length ? { text, doc: doc.join('\n').trim() } : { text });
      doc = [];
      i = j;
    } else {
      tokens.push({ text: c });
      i++;
    }
  }
  return tokens;
}

export function parseProto(src: string): ProtoFile {
  const t = tokenize(src);
  let p = 0;
  const file: ProtoFile = { package: '', messages: [], enums: [] };
  const peek = (): string => t[p]?.text ?? '';
  const next = (): Token => {
    if (p >= t.length) throw new Error('unexpected end of .proto');
    return t[p++];
  };
  const expect = (s: string): void => {
    const got = next().text;
    if (got !== s) throw new Error(`.proto: expected '${s}', got '${got}' (token ${p})`);
  };
  const skipStatement = (): void => {
    let depth = 0;
    for (;;) {
      const s = next().text;
      if (s === '{' || s === '[' || s === '(') depth++;
      else if (s === '}' || s === ']' || s === ')') depth--;
      else if (s === ';' && depth === 0) return;
    }
  };

  const parseEnum = (scope: string, doc?: string): void => {
    const name = next().text;
    const e: ProtoEnum = { fullName: `${scope}.${name}`, values: [], doc };
    expect('{');
    while (peek() !== '}') {
      const s = peek();
      if (s === 'option' || s === 'reserved') {
        skipStatement();
        continue;
      }
      if (s === ';') {
        p++;
        continue;
      }
      const vname = next().text;
      expect('=');
      const num = Number(next().text);
      e.values.push({ name: vname, number: num });
      skipStatement();
    }
    expect('}');
    file.enums.push(e);
  };

  const parseField = (msg: ProtoMessage, first: Token, oneof?: string): void => {
    let label: ProtoField['label'];
    let typeTok = first;
    if (first.text === 'repeated' || first.text === 'optional') {
      label = first.text;
      typeTok = next();
    }
    let type = typeTok.text;
    let mapKey: string | undefined;
    if (type === 'map') {
      expect('<');
      mapKey = next().text;
      expect(',');
      type = next().text;
      expect('>');
    }
    const name = next().text;
    expect('=');
    next();
    skipStatement(); // [options] ;
    msg.fields.push({ name, type, label, mapKey, oneof, doc: first.doc });
  };

  const parseMessage = (scope: string, doc?: string): void => {
    const name = next().text;
    const msg: ProtoMessage = { fullName: `${scope}.${name}`, fields: [], doc };
    file.messages.push(msg);
    expect('{');
    while (peek() !== '}') {
      const tok = next();
      switch (tok.text) {
        case 'message':
          parseMessage(msg.fullName, tok.doc);
          break;
        case 'enum':
          parseEnum(msg.fullName, tok.doc);
          break;
        case 'option':
        case 'reserved':
        case 'extensions':
          skipStatement();
          break;
        case ';':
          break;
        case 'oneof': {
          const oneofName = next().text;
          expect('{');
          while (peek() !== '}') {
            const f = next();
            if (f.text === 'option') skipStatement();
            else parseField(msg, f, oneofName);
          }
          expect('}');
          break;
        }
        default:
          parseField(msg, tok);
      }
    }
    expect('}');
  };

  while (p < t.length) {
    const tok = next();
    switch (tok.text) {
      case 'syntax':
      case 'import':
      case 'option':
        skipStatement();
        break;
      case 'package':
        file.package = next().text;
        expect(';');
        break;
      case 'message':
        parseMessage(file.package, tok.doc);
        break;
      case 'enum':
        parseEnum(file.package, tok.doc);
        break;
      case ';':
        break;
      default:
        throw new Error(`.proto: unexpected '${tok.text}'`);
    }
  }
  return file;
}

/** protoc's default json_name: drop underscores, upper-case the letter after each. */
export function jsonName(name: string): string {
  return name.replace(/_+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

type Node = Record<string, unknown>;

const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** Well-known types in their proto3 JSON form. */
const WELL_KNOWN: Record<string, Node> = {
  'google.protobuf.Struct': {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description: 'google.protobuf.Struct: any JSON object.',
  },
  'google.protobuf.Value': { 'x-gantry-any': true, description: 'google.protobuf.Value: any JSON value.' },
  'google.protobuf.ListValue': {
    type: 'array',
    items: { 'x-gantry-any': true },
    description: 'google.protobuf.ListValue: a JSON array.',
  },
  'google.protobuf.Duration': {
    type: 'string',
    pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$',
    description: 'google.protobuf.Duration: seconds with an "s" suffix, e.g. "3.5s".',
  },
  'google.protobuf.Timestamp': {
    type: 'string',
    format: 'date-time',
    description: 'google.protobuf.Timestamp: an RFC 3339 date-time.',
  },
  'google.rpc.Status': {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description: 'google.rpc.Status: an error status.',
  },
};

/** Definition name of a proto message or enum in the bundled schema set. */
export const protoDefName = (fullName: string): string => `proto:${fullName}`;

/**
 * Converts parsed proto files to schema definitions (proto3 JSON mapping): lowerCamelCase field names with
 * the original names as aliases, enums as names or numbers, 64-bit integers as numbers or decimal strings,
 * `oneof` groups listed in `x-gantry-oneof`.
 */
export function protoToDefs(files: ProtoFile[]): Record<string, Node> {
  const messages = new Map<string, ProtoMessage>();
  const enums = new Map<string, ProtoEnum>();
  for (const f of files) {
    for (const m of f.messages) messages.set(m.fullName, m);
    for (const e of f.enums) enums.set(e.fullName, e);
  }
  const resolve = (scope: string, ref: string): string => {
    if (ref.startsWith('.')) return ref.slice(1);
    const parts = scope.split('.');
    for (let i = parts.length; i >= 0; i--) {
      const candidate = [...parts.slice(0, i), ref].join('.');
      if (messages.has(candidate) || enums.has(candidate) || WELL_KNOWN[candidate]) return candidate;
    }
    throw new Error(`.proto: cannot resolve type ${ref} in ${scope}`);
  };
  const scalar = (type: string): Node | undefined => {
    if (type === 'string') return { type: 'string' };
    if (type === 'bytes') return { type: 'string', format: 'byte' };
    if (type === 'bool') return { type: 'boolean' };
    if (type === 'double' || type === 'float') return { type: 'number' };
    if (INT_TYPES.has(type)) return { type: 'integer', format: type };
    if (INT64_TYPES.has(type))
      return { 'x-kubernetes-int-or-string': true, pattern: '^-?[0-9]+$', format: type };
    return undefined;
  };
  const typeNode = (scope: string, type: string): Node => {
    const s = scalar(type);
    if (s) return s;
    const full = resolve(scope, type);
    if (WELL_KNOWN[full]) return { ...WELL_KNOWN[full] };
    return { $ref: protoDefName(full) };
  };

  const defs: Record<string, Node> = {};
  for (const e of enums.values()) {
    defs[protoDefName(e.fullName)] = {
      ...(e.doc ? { description: e.doc } : {}),
      enum: [...e.values.map((v) => v.name), ...e.values.map((v) => v.number)],
    };
  }
  for (const m of messages.values()) {
    const properties: Record<string, Node> = {};
    const aliases: Record<string, string> = {};
    const oneofs = new Map<string, string[]>();
    for (const f of m.fields) {
      const json = jsonName(f.name);
      let node = typeNode(m.fullName, f.type);
      if (f.mapKey) node = { type: 'object', additionalProperties: node };
      else if (f.label === 'repeated') node = { type: 'array', items: node };
      if (f.doc) node = { ...node, description: f.doc };
      properties[json] = node;
      if (json !== f.name) aliases[f.name] = json;
      if (f.oneof) oneofs.set(f.oneof, [...(oneofs.get(f.oneof) ?? []), json]);
    }
    const def: Node = { type: 'object', properties };
    if (m.doc) def.description = m.doc;
    if (Object.keys(aliases).length) def['x-gantry-aliases'] = aliases;
    if (oneofs.size) def['x-gantry-oneof'] = [...oneofs.values()];
    defs[protoDefName(m.fullName)] = def;
  }
  return defs;
}
