// Kubernetes resource.Quantity syntax and value (apimachinery/pkg/api/resource: <signedNumber><suffix>).

const QUANTITY_RE =
  /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[KMGTPE]i)|[numkMGTPE]|(?:[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)))?$/;

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

export function isQuantity(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  return typeof v === 'string' && QUANTITY_RE.test(v);
}

/** The numeric value of a quantity (a YAML number or a quantity string), or undefined if malformed. */
export function quantityValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY_RE.exec(v);
  if (!m) return undefined;
  const base = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in SUFFIX) return base * SUFFIX[suffix];
  return base * 10 ** Number(suffix.slice(1));
}
