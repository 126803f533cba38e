import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

/*
 * A link part's URL is whatever the customer's message carried (a Messenger fallback attachment):
 * the timeline makes links of web addresses only, so a `javascript:` URL cannot run in the console,
 * which holds the API token. The page's module is rendered here as Preact elements, no browser needed.
 */

interface Element {
  readonly type: unknown;
  readonly props: { readonly children?: unknown; readonly href?: unknown };
}

const isElement = (value: unknown): value is Element =>
  typeof value === 'object' && value !== null && 'type' in value && 'props' in value;

/** Every element in a tree of Preact elements, depth first. */
const elementsOf = (node: unknown): Element[] => {
  if (Array.isArray(node)) return node.flatMap(elementsOf);
  if (!isElement(node)) return [];
  return [node, ...elementsOf(node.props.children)];
};

/** The text of a tree, as the page would show it. */
const textOf = (node: unknown): string => {
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  return isElement(node) ? textOf(node.props.children) : '';
};

const TimelineModuleSchema = z.looseObject({
  Part: z.custom<(props: Record<string, unknown>) => unknown>((value) => typeof value === 'function'),
});

describe('console timeline links', () => {
  let renderPart: (part: Record<string, unknown>) => unknown;

  beforeAll(async () => {
    const file = pathToFileURL(`${import.meta.dirname}/../../shared/local/console/static/timeline.js`).href;
    const { Part } = TimelineModuleSchema.parse(await import(file));
    renderPart = (part) =>
      Part({ message: { hubMessageId: 'msg_1', parts: [part] }, part, index: 0, Media: () => null });
  });

  it.each([
    ['a javascript: URL', 'javascript:fetch("/v1/conversations")'],
    ['an upper-case javascript: URL', 'JaVaScRiPt:alert(1)'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
    ['a javascript: URL after a space', ' javascript:alert(1)'],
  ])('shows %s as text, not as a link', (_name, url) => {
    // Act
    const rendered = renderPart({ type: 'link', url, title: 'Order status' });
    // Assess
    expect(elementsOf(rendered).filter((element) => element.type === 'a')).toEqual([]);
    expect(textOf(rendered)).toContain(url);
  });

  it('links a web address', () => {
    // Prepare
    const url = 'https://shop.example/orders/5521';
    // Act
    const rendered = renderPart({ type: 'link', url, title: 'Order status' });
    // Assess
    const links = elementsOf(rendered).filter((element) => element.type === 'a');
    expect(links.map((link) => link.props.href)).toEqual([url]);
    expect(textOf(rendered)).toBe('Order status');
  });
});
