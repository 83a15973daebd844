/**
 * Source positions for routing.yaml findings: a config path → the 1-based line:col of its YAML
 * node. Missing keys point at the nearest existing parent, so "missing required key" errors
 * still land on the map that lacks the key.
 */
import { isMap, isNode, isScalar, type Document, type LineCounter } from 'yaml';
import type { ConfigIssue, ConfigPath } from './config-issue.ts';

export interface Position {
  line: number;
  col: number;
}

/** Position of the value at `path`, or of the key itself when `atKey` (an unknown key). */
export function locate(
  doc: Document,
  lc: LineCounter,
  path: ConfigPath,
  atKey = false,
): Position | undefined {
  if (atKey && path.length > 0) {
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find(
        (p) => isScalar(p.key) && String(p.key.value) === String(last),
      );
      if (pair && isNode(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]);
    }
  }
  for (let p = path.slice(); ; p.pop()) {
    const node = p.length ? doc.getIn(p, true) : doc.contents;
    if (isNode(node) && node.range) return lc.linePos(node.range[0]);
    if (!p.length) return undefined;
  }
}

/** Fills `line`/`col` of issues that have none yet. */
export function positionIssues(
  doc: Document,
  lc: LineCounter,
  issues: ConfigIssue[],
  atKeyFor: (issue: ConfigIssue) => boolean = () => false,
): ConfigIssue[] {
  return issues.map((i) => {
    if (i.line !== undefined) return i;
    const pos = locate(doc, lc, i.path, atKeyFor(i));
    return pos ? { ...i, line: pos.line, col: pos.col } : i;
  });
}
