/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The pipeline graph webview (dist/webview/pipelineGraph.js, a browser bundle: no vscode, no node). Draws the
// graph the panel sends as SVG laid out by dagre (layout.ts); pan (drag), zoom (wheel, buttons), fit to view,
// export as SVG, collapsible groups. Colours come from the theme's CSS variables (media/pipelineGraph.css).
import type { PipelineGraph, PipelineNode } from '../../shared/protocol';
import { type Box, layoutGraph, GROUP_HEADER } from './layout';
import type { FromWebview, NodePhase, ToWebview } from './messages';

interface VsCodeApi {
  postMessage(m: FromWebview): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const SVG = 'http://www.w3.org/2000/svg';

interface SavedState {
  collapsed: string[];
}

const saved = (vscode.getState() as SavedState | undefined) ?? { collapsed: [] };
const collapsed = new Set<string>(saved.collapsed);
let graph: PipelineGraph | undefined;
let phases: Record<string, NodePhase> = {};
let live = false;
let highlighted: string | undefined;
let view = { x: 0, y: 0, k: 1 };
let fitted = false;
let size = { width: 0, height: 0 };

const root = document.getElementById('root')!;
const info = document.getElementById('info')!;
const svg = document.createElementNS(SVG, 'svg');
svg.setAttribute('class', 'graph');
svg.setAttribute('role', 'img');
const defs = document.createElementNS(SVG, 'defs');
defs.innerHTML =
  '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path class="arrow" d="M 0 0 L 10 5 L 0 10 z"/></marker>';
svg.appendChild(defs);
const scene = document.createElementNS(SVG, 'g');
svg.appendChild(scene);
root.appendChild(svg);

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  parent: Element,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

function text(parent: Element, x: number, y: number, cls: string, s: string, max: number): SVGTextElement {
  const t = el('text', { x, y, class: cls }, parent);
  // Monospace-free truncation: about 7 px a character at the webview's font size.
  const room = Math.max(4, Math.floor(max / 7));
  t.textContent = s.length > room ? `${s.slice(0, room - 1)}…` : s;
  if (s.length > room) el('title', {}, t).textContent = s;
  return t;
}

function applyView(): void {
  scene.setAttribute('transform', `translate(${view.x} ${view.y}) scale(${view.k})`);
}

function fit(): void {
  const w = svg.clientWidth || 800;
  const h = svg.clientHeight || 600;
  if (!size.width || !size.height) return;
  const k = Math.min(1.5, (w - 40) / size.width, (h - 40) / size.height);
  view = { k, x: (w - size.width * k) / 2, y: Math.max(20, (h - size.height * k) / 2) };
  applyView();
}

function phaseOf(n: PipelineNode): NodePhase | undefined {
  return phases[n.id];
}

function nodeClass(n: PipelineNode, b: Box): string {
  const cls = ['node', `kind-${n.kind}`];
  if (b.expanded) cls.push('expanded');
  const p = phaseOf(n);
  if (p) cls.push(`phase-${p}`);
  if (n.problems.some((x) => x.severity === 1)) cls.push('has-error');
  else if (n.problems.length) cls.push('has-warning');
  if (n.id === highlighted) cls.push('highlight');
  return cls.join(' ');
}

function render(): void {
  scene.replaceChildren();
  if (!graph) return;
  const layout = layoutGraph(graph.nodes, graph.edges, collapsed);
  size = { width: layout.width, height: layout.height };
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const hasChildren = new Set(graph.nodes.map((n) => n.parent).filter((p): p is string => !!p));
  const frames = el('g', { class: 'frames' }, scene);
  const edges = el('g', { class: 'edges' }, scene);
  const nodes = el('g', { class: 'nodes' }, scene);
  for (const e of layout.edges) {
    if (e.points.length < 2) continue;
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
    el(
      'path',
      { d, class: 'edge', 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to },
      edges,
    );
  }
  // Outer frames first, so inner ones are drawn over them.
  const boxes = [...layout.boxes.values()].sort((a, b) => depth(byId, a.id) - depth(byId, b.id));
  for (const b of boxes) {
    const n = byId.get(b.id);
    if (!n) continue;
    const g = el(
      'g',
      { class: nodeClass(n, b), 'data-id': n.id, transform: `translate(${b.x} ${b.y})`, tabindex: 0 },
      b.expanded ? frames : nodes,
    );
    el('rect', { width: b.width, height: b.height, rx: 6, class: 'box' }, g);
    const title = el('title', {}, g);
    title.textContent = tooltip(n);
    const group = hasChildren.has(n.id);
    const toggleW = group ? 18 : 0;
    if (group) {
      const t = el('text', { x: 8, y: 19, class: 'toggle', 'data-toggle': n.id }, g);
      t.textContent = collapsed.has(n.id) ? '▸' : '▾';
    }
    const markers = [n.loop ? '⟳' : '', n.condition ? '◇' : '', n.kind === 'exitHandler' ? '⏻' : '']
      .filter(Boolean)
      .join(' ');
    const room = b.width - 16 - toggleW - markers.length * 9;
    text(g, 8 + toggleW, 19, 'name', n.name, room);
    if (markers) text(g, b.width - 8, 19, 'markers', markers, 60).setAttribute('text-anchor', 'end');
    if (!b.expanded) {
      const sub = [n.ref, n.image].filter(Boolean).join(' · ');
      if (sub) text(g, 8, 37, 'sub', sub, b.width - 16);
      const p = phaseOf(n);
      const extra = p ?? (n.problems[0] ? n.problems[0].message : n.loop ? n.loop : (n.condition ?? ''));
      if (extra) text(g, 8, 52, p ? 'phase' : n.problems[0] ? 'problem' : 'sub', extra, b.width - 16);
    } else if (n.problems.length) {
      text(g, 8, GROUP_HEADER - 2 + 12, 'problem', n.problems[0]!.message, b.width - 16);
    }
  }
  if (!fitted) {
    fit();
    fitted = true;
  } else applyView();
  info.textContent = summary();
}

function depth(byId: Map<string, PipelineNode>, id: string): number {
  let d = 0;
  for (let p = byId.get(id)?.parent; p; p = byId.get(p)?.parent) d++;
  return d;
}

function tooltip(n: PipelineNode): string {
  const lines = [`${n.name} (${n.kind})`];
  if (n.ref) lines.push(`runs ${n.ref}`);
  if (n.image) lines.push(`image ${n.image}`);
  if (n.loop) lines.push(n.loop);
  if (n.condition) lines.push(`when ${n.condition}`);
  const p = phaseOf(n);
  if (p) lines.push(`phase ${p}`);
  for (const x of n.problems) lines.push(`${x.severity === 1 ? 'error' : 'warning'}: ${x.message}`);
  return lines.join('\n');
}

let source = '';
let message: string | undefined;
function summary(): string {
  if (!graph) return '';
  const tasks = graph.nodes.filter((n) => n.kind !== 'dag').length;
  const problems = graph.nodes.reduce((s, n) => s + n.problems.length, 0);
  const parts = [`${source}`, `${tasks} task${tasks === 1 ? '' : 's'}`, `${graph.edges.length} dependencies`];
  if (graph.cycles.length)
    parts.push(`${graph.cycles.length} cycle${graph.cycles.length === 1 ? '' : 's'} (not drawn)`);
  if (problems) parts.push(`${problems} problem${problems === 1 ? '' : 's'}`);
  if (message) parts.push(message);
  return parts.join(' · ');
}

function setHighlight(id: string | undefined): void {
  highlighted = id;
  for (const g of scene.querySelectorAll('.node.highlight')) g.classList.remove('highlight');
  if (!id) return;
  const g = scene.querySelector(`.node[data-id="${CSS.escape(id)}"]`);
  g?.classList.add('highlight');
}

// --- Input: pan, zoom, click ----------------------------------------------------------------------------------

let drag: { x: number; y: number; vx: number; vy: number; moved: boolean } | undefined;
svg.addEventListener('pointerdown', (e) => {
  drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
});
svg.addEventListener('pointermove', (e) => {
  if (!drag || (e.buttons & 1) === 0) return;
  const dx = e.clientX - drag.x;
  const dy = e.clientY - drag.y;
  if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
  if (!drag.moved) svg.setPointerCapture(e.pointerId);
  drag.moved = true;
  view = { ...view, x: drag.vx + dx, y: drag.vy + dy };
  applyView();
});
svg.addEventListener('pointerup', (e) => {
  const d = drag;
  drag = undefined;
  if (d?.moved) return;
  const target = e.target as Element;
  const toggle = target.closest('[data-toggle]')?.getAttribute('data-toggle');
  if (toggle) {
    if (collapsed.has(toggle)) collapsed.delete(toggle);
    else collapsed.add(toggle);
    vscode.setState({ collapsed: [...collapsed] } satisfies SavedState);
    render();
    return;
  }
  const id = target.closest('.node')?.getAttribute('data-id');
  if (id) {
    setHighlight(id);
    vscode.postMessage({ type: 'select', id });
  }
});
svg.addEventListener('keydown', (e) => {
  const id = (e.target as Element).closest?.('.node')?.getAttribute('data-id');
  if (id && (e.key === 'Enter' || e.key === ' ')) vscode.postMessage({ type: 'select', id });
});
svg.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    zoomAt(e.offsetX, e.offsetY, Math.exp(-e.deltaY * 0.0015));
  },
  { passive: false },
);

function zoomAt(px: number, py: number, factor: number): void {
  const k = Math.min(4, Math.max(0.05, view.k * factor));
  const f = k / view.k;
  view = { k, x: px - (px - view.x) * f, y: py - (py - view.y) * f };
  applyView();
}

function button(id: string, handler: () => void): void {
  document.getElementById(id)?.addEventListener('click', handler);
}
button('fit', fit);
button('zoomIn', () => zoomAt(svg.clientWidth / 2, svg.clientHeight / 2, 1.25));
button('zoomOut', () => zoomAt(svg.clientWidth / 2, svg.clientHeight / 2, 0.8));
button('expandAll', () => {
  collapsed.clear();
  vscode.setState({ collapsed: [] } satisfies SavedState);
  render();
});
button('collapseAll', () => {
  for (const n of graph?.nodes ?? []) if (n.parent) collapsed.add(n.parent);
  vscode.setState({ collapsed: [...collapsed] } satisfies SavedState);
  render();
});
button('export', () => vscode.postMessage({ type: 'export', svg: exportSvg() }));

/** A standalone SVG: the theme's colours resolved into attributes, the whole graph at scale 1. */
function exportSvg(): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const originals = [svg, ...svg.querySelectorAll('*')];
  const copies = [copy, ...copy.querySelectorAll('*')];
  originals.forEach((o, i) => {
    const s = getComputedStyle(o);
    const c = copies[i]!;
    for (const p of [
      'fill',
      'stroke',
      'stroke-width',
      'stroke-dasharray',
      'font-family',
      'font-size',
      'font-weight',
      'opacity',
    ])
      c.setAttribute(p, s.getPropertyValue(p));
    c.removeAttribute('class');
    c.removeAttribute('tabindex');
  });
  copy.querySelector('g')?.setAttribute('transform', 'translate(20 20)');
  const w = Math.ceil(size.width + 40);
  const h = Math.ceil(size.height + 40);
  copy.setAttribute('xmlns', SVG);
  copy.setAttribute('width', String(w));
  copy.setAttribute('height', String(h));
  copy.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const bg = getComputedStyle(document.body).backgroundColor;
  const rect = document.createElementNS(SVG, 'rect');
  rect.setAttribute('width', '100%');
  rect.setAttribute('height', '100%');
  rect.setAttribute('fill', bg);
  copy.insertBefore(rect, copy.firstChild?.nextSibling ?? null);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  if (m.type === 'graph') {
    const first = !graph;
    graph = m.graph;
    phases = m.phases ?? {};
    live = m.live;
    source = m.source;
    message = m.message;
    document.body.classList.toggle('live', live);
    if (first) fitted = false;
    render();
  } else if (m.type === 'phases') {
    phases = m.phases;
    render();
  } else if (m.type === 'highlight') {
    setHighlight(m.id);
  }
});
window.addEventListener('resize', () => {
  if (graph && !drag) fit();
});
vscode.postMessage({ type: 'ready' });
