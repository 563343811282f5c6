// The README's reference tables, generated from their sources so they cannot drift: the commands and settings
// from package.json's `contributes`, the kinds from src/core/kinds.ts. Between the markers
// `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; test/unit/readme.test.ts fails when they are stale.
//   node --import tsx scripts/readme-tables.ts          rewrites README.md
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { ML_KINDS } from '../src/core/kinds';

const root = join(import.meta.dirname, '..');

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: {
      properties: Record<
        string,
        { type: string; default: unknown; scope?: string; markdownDescription?: string; description?: string }
      >;
    };
  };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

function where(m: Manifest, id: string): string {
  const menus = m.contributes.menus;
  const out: string[] = [];
  const hidden = (menus.commandPalette ?? []).some((e) => e.command === id && e.when === 'false');
  if (!hidden) out.push('Command Palette');
  const views = (e: { when?: string }): string[] =>
    [...(e.when ?? '').matchAll(/view == gantry\.(\w+)/g)].map((x) => x[1]!);
  const name: Record<string, string> = {
    workloads: 'ML Workloads',
    gpus: 'GPUs',
    sessions: 'Port Forwards and Log Streams',
  };
  const title = new Set((menus['view/title'] ?? []).filter((e) => e.command === id).flatMap(views));
  if (title.size) out.push(`title of ${[...title].map((v) => name[v] ?? v).join(', ')}`);
  const item = new Set((menus['view/item/context'] ?? []).filter((e) => e.command === id).flatMap(views));
  if (item.size) out.push(`items of ${[...item].map((v) => name[v] ?? v).join(', ')}`);
  for (const [menu, entries] of Object.entries(menus)) {
    if (['commandPalette', 'view/title', 'view/item/context'].includes(menu)) continue;
    if (entries.some((e) => e.command === id)) out.push(menu);
  }
  return out.join('; ');
}

export function tables(manifest: Manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))): {
  commands: string;
  settings: string;
  kinds: string;
} {
  const commands = [
    '| command | id | where |',
    '| --- | --- | --- |',
    ...manifest.contributes.commands.map(
      (c) =>
        `| ${cell(`${c.category ? `${c.category}: ` : ''}${c.title}`)} | \`${c.command}\` | ${where(manifest, c.command)} |`,
    ),
  ].join('\n');
  const settings = [
    '| setting | type | default | scope | what |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(manifest.contributes.configuration.properties).map(
      ([k, p]) =>
        `| \`${k}\` | ${p.type} | \`${JSON.stringify(p.default)}\` | ${p.scope ?? 'window'} | ${cell(p.markdownDescription ?? p.description ?? '')} |`,
    ),
  ].join('\n');
  const kinds = [
    '| kind | apiVersion | shown as |',
    '| --- | --- | --- |',
    ...ML_KINDS.map(
      (k) =>
        `| ${k.kind} | ${k.versions.map((v) => `\`${k.group ? `${k.group}/` : ''}${v}\``).join(', ')} | ${k.displayName} (${k.category}) |`,
    ),
  ].join('\n');
  return { commands, settings, kinds };
}

/** README text with every generated section replaced and Prettier's layout; throws when a marker is missing. */
export async function render(readme: string, t = tables()): Promise<string> {
  let out = readme;
  for (const [name, body] of Object.entries(t)) {
    const re = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!re.test(out)) throw new Error(`README.md has no <!-- generated:${name} --> section`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}${body}\n${b}`);
  }
  const file = join(root, 'README.md');
  return prettier.format(out, { ...(await prettier.resolveConfig(file)), filepath: file });
}

async function main(): Promise<void> {
  const file = join(root, 'README.md');
  const before = readFileSync(file, 'utf8');
  const after = await render(before);
  if (after !== before) writeFileSync(file, after);
  console.log(after === before ? 'README.md tables are current' : 'README.md tables rewritten');
}

if (process.argv[1] && import.meta.filename === process.argv[1]) void main();
