/** Small helpers shared by the pages (browser code, bundled by scripts/build-web.mjs). */

export interface SlideEntry {
  id: string; status: string; slide: string; pass: boolean | null; verdict: string | null; reason: string; blurShare: number | null; tissueMm2: number | null;
  crops: number | null; mean: number | null; p90: number | null; scanDate: string | null; error: string;
  reader: string | null; format: string | null; width: number | null; height: number | null; warnings: string[]; viewable: boolean; heatmap: boolean;
}

export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error((body as { error?: string }).error ?? `${res.status}`);
  return body as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

export const fmt = (v: number | null, digits = 3): string => (v === null || v === undefined ? '–' : Number(v.toFixed(digits)).toString());
export const pct = (v: number | null): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);
export const verdict = (e: { pass: boolean | null; status: string; verdict?: string | null }): string =>
  e.status === 'error' ? 'error' : e.pass !== null ? (e.pass ? 'pass' : 'fail') : e.verdict ?? '–';
/** CSS class of a verdict pill */
export const verdictClass = (v: string): string => (v === 'pass' || v === 'fail' || v === 'error' ? v : 'none');
