// Mutations of YAML manifests for fuzzing the language server: what editing, pasting and bad tools do to a
// file (lines lost or doubled, indentation broken, stray bytes), plus what an attacker or a generator does
// (huge scalars, deep nesting, alias bombs, 10 MB documents). Seeded, so a failure names its case exactly.

/** xorshift32: small, seeded, good enough to pick mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const STRAY = [
  ':',
  '-',
  ' ',
  '\t',
  '{',
  '}',
  '[',
  ']',
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '"',
  "'",
  '#',
  ',',
  '?',
  '\\',
  '\u0000',
  '\u00a0',
  '\ufeff',
  '\u2028',
  '😀',
  '\r',
  '\n',
  'é',
];

type Mutator = (text: string, r: Rng) => string;

const lines = (t: string) => t.split('\n');

/** Every mutator by name; `huge` ones make documents of megabytes and are drawn rarely. */
export const MUTATORS: Record<string, Mutator> = {
  deleteLine: (t, r) => {
    const l = lines(t);
    l.splice(r.int(l.length), 1 + r.int(3));
    return l.join('\n');
  },
  duplicateLine: (t, r) => {
    const l = lines(t);
    const i = r.int(l.length);
    l.splice(i, 0, l[i] ?? '');
    return l.join('\n');
  },
  shiftIndent: (t, r) => {
    const l = lines(t);
    const i = r.int(l.length);
    l[i] = r.next() < 0.5 ? ' '.repeat(1 + r.int(4)) + l[i] : (l[i] ?? '').replace(/^ {1,4}/, '');
    return l.join('\n');
  },
  swapIndent: (t, r) => {
    const l = lines(t);
    const i = r.int(l.length);
    const j = r.int(l.length);
    const ind = (s: string) => /^ */.exec(s)![0];
    const a = l[i] ?? '';
    const b = l[j] ?? '';
    l[i] = ind(b) + a.trimStart();
    l[j] = ind(a) + b.trimStart();
    return l.join('\n');
  },
  strayBytes: (t, r) => {
    let out = t;
    for (let k = 1 + r.int(5); k > 0; k--) {
      const at = r.int(out.length + 1);
      out = out.slice(0, at) + r.pick(STRAY) + out.slice(at);
    }
    return out;
  },
  randomBytes: (t, r) => {
    const at = r.int(t.length + 1);
    let junk = '';
    for (let k = 1 + r.int(40); k > 0; k--) junk += String.fromCharCode(r.int(0x3000));
    return t.slice(0, at) + junk + t.slice(at);
  },
  truncate: (t, r) => t.slice(0, r.int(t.length + 1)),
  tabs: (t, r) => {
    const l = lines(t);
    const i = r.int(l.length);
    l[i] = (l[i] ?? '').replace(/^ +/, '\t');
    return l.join('\n');
  },
  separators: (t, r) => {
    const l = lines(t);
    l.splice(r.int(l.length + 1), 0, r.pick(['---', '...', '--- |', '%YAML 1.2', '--- !!map']));
    return l.join('\n');
  },
  duplicateKey: (t, r) => {
    const l = lines(t);
    const keyed = l.map((s, i) => [s, i] as const).filter(([s]) => /^\s*[A-Za-z]\w*:/.test(s));
    if (!keyed.length) return t;
    const [s, i] = r.pick(keyed);
    l.splice(i + 1, 0, s);
    return l.join('\n');
  },
  /** A value of 64 KiB to 2 MiB on a key that is a name or a pattern-checked field when there is one. */
  hugeScalar: (t, r) => {
    const l = lines(t);
    const keyed = l.map((s, i) => [s, i] as const).filter(([s]) => /^\s*-?\s*[A-Za-z]\w*: \S/.test(s));
    if (!keyed.length) return t;
    const named = keyed.filter(([s]) => /\b(name|image|schedule|queue-name|cron|memory|cpu)\b/.test(s));
    const [s, i] = r.pick(named.length && r.next() < 0.7 ? named : keyed);
    const size = (64 << 10) << r.int(6);
    const unit = r.pick(['a', 'a-', 'a.', '0', 'x y ', 'é']);
    l[i] = s.replace(/: .*/, ': ' + unit.repeat(Math.ceil(size / unit.length)));
    return l.join('\n');
  },
  deepFlow: (t, r) => {
    const depth = 500 + r.int(20_000);
    const open = r.next() < 0.5 ? '[' : '{a: ';
    const close = open === '[' ? ']' : '}';
    return `${t}\nextra: ${open.repeat(depth)}1${close.repeat(r.next() < 0.8 ? depth : depth >> 1)}\n`;
  },
  deepBlock: (t, r) => {
    const depth = 200 + r.int(3_000);
    let out = `${t}\nnest:\n`;
    for (let d = 0; d < depth; d++) out += `${' '.repeat(d + 1)}k${d}:\n`;
    return out;
  },
  anchors: (t, r) => {
    const l = lines(t);
    const keyed = l.map((s, i) => [s, i] as const).filter(([s]) => /^\s*[A-Za-z]\w*:/.test(s));
    if (keyed.length < 2) return t;
    const [a, i] = r.pick(keyed);
    const [b, j] = r.pick(keyed);
    l[i] = a.replace(/:(\s|$)/, ': &x$1');
    l[j] = b.replace(/:.*$/, r.next() < 0.2 ? ': *nope' : ': *x');
    return l.join('\n');
  },
  /** "Billion laughs": 9 levels of 9 aliases each. */
  aliasBomb: (t) => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    const names = 'abcdefghi';
    for (let k = 1; k < 9; k++) {
      const p = names[k - 1];
      bomb += `${names[k]}: &${names[k]} [${Array(9).fill(`*${p}`).join(',')}]\n`;
    }
    return `${bomb}---\n${t}\nlaugh: *i\n`;
  },
};

/** Rare, expensive: a 10 MB file of the example repeated as separate documents. */
export function tenMegabytes(t: string): string {
  const doc = t.endsWith('\n') ? t : `${t}\n`;
  const n = Math.ceil((10 << 20) / (doc.length + 4));
  return Array(n).fill(doc).join('---\n');
}

const CHEAP = Object.keys(MUTATORS).filter(
  (k) => !['hugeScalar', 'deepFlow', 'deepBlock', 'aliasBomb'].includes(k),
);
const COSTLY = ['hugeScalar', 'deepFlow', 'deepBlock', 'aliasBomb'];

/** One to four mutations; a costly one about one time in thirty. Returns the text and the names applied. */
export function mutate(text: string, r: Rng): { text: string; applied: string[] } {
  let t = text;
  const applied: string[] = [];
  for (let k = 1 + r.int(4); k > 0; k--) {
    const name = r.next() < 0.03 ? r.pick(COSTLY) : r.pick(CHEAP);
    t = MUTATORS[name]!(t, r);
    applied.push(name);
  }
  return { text: t, applied };
}
