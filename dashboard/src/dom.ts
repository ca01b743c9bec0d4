/**
 * Building the page from data without innerHTML: every text goes in as a
 * text node, so nothing a server, tool or caller is named can become markup.
 * No style attributes either (the CSP allows none): looks come from classes.
 */

export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Readonly<Record<string, string | undefined>> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) element.setAttribute(name, value);
  append(element, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag: string, attributes: Readonly<Record<string, string | number>> = {}, ...children: Child[]): SVGElement {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
}

function append(parent: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** The element the page must have; a missing one is a bug in index.html, said plainly. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Replaces a select's options, keeping the chosen value (even one not offered any more, so a filter never changes by itself). */
export function setOptions(select: HTMLSelectElement, values: readonly string[], anyLabel: string): void {
  const chosen = select.value;
  const wanted = [...new Set(chosen === '' ? values : [...values, chosen])].sort();
  const current = [...select.options].slice(1).map((option) => option.value);
  if (current.length === wanted.length && current.every((value, i) => value === wanted[i])) return;
  select.replaceChildren(h('option', { value: '' }, anyLabel), ...wanted.map((value) => h('option', { value }, value)));
  select.value = chosen;
}
