// Types for ltx 3 (no types are published): the subset earshot uses.
declare module 'ltx' {
  export class Element {
    constructor(name: string, attrs?: Record<string, string>);
    name: string;
    attrs: Record<string, string>;
    children: Array<Element | string>;
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    c(name: string, attrs?: Record<string, string>): Element;
    cnode(child: Element | string): Element;
    append(...nodes: Array<Element | string>): Element;
    t(text: string): Element;
    up(): Element;
    root(): Element;
    attr(name: string, value?: string): string | Element;
    text(value?: string): string | Element;
    toString(): string;
  }
  export function parse(xml: string): Element;
  export function equal(a: Element, b: Element): boolean;
  export function clone(element: Element): Element;
}
