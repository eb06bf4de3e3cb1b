/** Small DOM helpers: elements with attributes and children, and keyed list updates that keep unchanged rows in place. */

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined>;

function apply(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) element.removeAttribute(name);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  apply(element, attributes);
  for (const child of children) if (child) element.append(child);
  return element;
}

const svgNamespace = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNamespace, tag);
  apply(element, attributes);
  for (const child of children) if (child) element.append(child);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/**
 * Makes `container`'s children the rows for `items`, in order: a row whose
 * key and text signature are unchanged is kept as it is (no flicker, focus and
 * hover survive ten updates a second); others are built by `render`.
 */
export function syncRows<T>(container: Element, items: readonly T[], key: (item: T) => string, signature: (item: T) => string, render: (item: T) => Element): void {
  const existing = new Map<string, Element>();
  for (const child of Array.from(container.children)) existing.set((child as HTMLElement).dataset.key ?? '', child);
  items.forEach((item, index) => {
    const itemKey = key(item);
    const itemSignature = signature(item);
    let row = existing.get(itemKey);
    existing.delete(itemKey);
    if (!row || (row as HTMLElement).dataset.signature !== itemSignature) {
      row?.remove();
      row = render(item);
      (row as HTMLElement).dataset.key = itemKey;
      (row as HTMLElement).dataset.signature = itemSignature;
    }
    const at = container.children[index] ?? null;
    if (at !== row) container.insertBefore(row, at);
  });
  for (const stale of existing.values()) stale.remove();
}

export function formatTime(timeMs: number): string {
  const date = new Date(timeMs);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
}
