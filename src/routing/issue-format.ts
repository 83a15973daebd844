/**
 * ConfigIssues as text: `config/routing.yaml:41:15 lead_types[2].handler: unknown handler "dna"
 * (did you mean "dana"?)`, and as GitHub workflow annotations for `validate --format github`.
 */
import { formatPath, type ConfigIssue } from './config-issue.ts';

export function formatIssue(fileName: string, i: ConfigIssue): string {
  const where = i.line !== undefined ? `${fileName}:${i.line}:${i.col ?? 1}` : fileName;
  const path = i.path.length ? ` ${formatPath(i.path)}:` : '';
  const label = i.severity === 'error' ? '' : ` ${i.severity}:`;
  return `${where}${label}${path} ${i.message}`;
}

/** Every issue on its own line, then a count line. */
export function formatReport(fileName: string, issues: readonly ConfigIssue[]): string {
  const count = (s: ConfigIssue['severity']) => issues.filter((i) => i.severity === s).length;
  const lines = issues.map((i) => formatIssue(fileName, i));
  const e = count('error');
  const w = count('warning');
  const n = count('note');
  lines.push(
    `${fileName}: ${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}, ${n} note${n === 1 ? '' : 's'}`,
  );
  return lines.join('\n');
}

/** `::error file=…,line=…,col=…::message` (GitHub Actions workflow command). */
export function githubAnnotation(fileName: string, i: ConfigIssue): string {
  const kind = i.severity === 'error' ? 'error' : i.severity === 'warning' ? 'warning' : 'notice';
  const props = [`file=${escapeProp(fileName)}`];
  if (i.line !== undefined) props.push(`line=${i.line}`, `col=${i.col ?? 1}`);
  const path = i.path.length ? `${formatPath(i.path)}: ` : '';
  return `::${kind} ${props.join(',')}::${escapeData(path + i.message)}`;
}

const escapeData = (s: string) =>
  s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProp = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
