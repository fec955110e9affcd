// YAML files read by people's hands (profiles, call scripts): parse keeping positions, and report each problem
// as `file:line: field.path: message`, the line being that of the field's key where the key exists.
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';

export type FieldPath = Array<string | number>;

export interface YamlSource {
  /** The document as plain data. */
  data: unknown;
  /** `file:line: path: message` for a problem at `path`. */
  problem(path: FieldPath, message: string): string;
}

/** Parses YAML text; syntax errors (and duplicate keys) come back as problems with their lines. */
export function parseYamlSource(text: string, file: string): YamlSource | { problems: string[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): number => lineCounter.linePos(offset).line;
  if (document.errors.length > 0) {
    // The line is already in front: drop yaml's own "at line N, column M".
    const message = (text: string) => text.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { problems: document.errors.map((error) => `${file}:${at(error.pos[0])}: ${message(error.message)}`) };
  }
  return {
    data: document.toJS(),
    problem: (path, message) => `${file}:${lineOf(document, path, at)}: ${path.length > 0 ? `${displayPath(path)}: ` : ''}${message}`,
  };
}

/** A file's text, or the one-line reason it cannot be read (`path: no such file`). */
export function readSourceFile(path: string): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(error)}` };
  }
}

/** `loss.meanBurst`, `calls[0].steps[2]`. */
export function displayPath(path: FieldPath): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

/** A JSON pointer (ajv's instancePath) as a field path. */
export function parsePointer(pointer: string): FieldPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** A JSON-schema type name as people say it: "an integer", "a mapping", "a list", "a string". */
export function withArticle(type: string): string {
  return type === 'integer' ? 'an integer' : type === 'object' ? 'a mapping' : type === 'array' ? 'a list' : `a ${type}`;
}

/** The line of the deepest node on `path` that the document has: a key's own line when the key exists. */
function lineOf(document: Document, path: FieldPath, at: (offset: number) => number): number {
  let node: unknown = document.contents;
  let line = node && typeof node === 'object' && 'range' in node ? at((node as { range: [number] }).range[0]) : 1;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) break;
      if (isScalar(pair.key) && pair.key.range) line = at(pair.key.range[0]);
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && typeof part === 'number') {
      const item = (node as { items: unknown[] }).items[part];
      if (!item) break;
      if (typeof item === 'object' && item && 'range' in item && (item as { range?: [number] }).range) {
        line = at((item as { range: [number] }).range[0]);
      }
      node = item;
    } else {
      break;
    }
  }
  return line;
}
