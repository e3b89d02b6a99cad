/**
 * docs/errors.md against the code: its table of codes lists exactly `PROBLEM_CODES`, with the same
 * HTTP statuses; every code the HTTP API and the webhook receiver write out is in that table; its
 * table of error-log categories lists exactly `errorCategories`, with their labels.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PROBLEM_CODES, problemCodes } from '../../src/core/problem-codes.ts';
import { errorCategories, errorCategoryLabels } from '../../src/core/errors.ts';

const root = path.resolve(import.meta.dirname, '../..');
const doc = await readFile(path.join(root, 'docs/errors.md'), 'utf8');

/** The rows of the first Markdown table whose header starts with `header`, as trimmed cells. */
function table(markdown: string, header: readonly string[]): string[][] {
  const lines = markdown.split('\n');
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
  const start = lines.findIndex(
    (line) => line.trim().startsWith('|') && header.every((h, i) => cells(line)[i] === h),
  );
  assert.notEqual(start, -1, `docs/errors.md has no table headed "${header.join(' | ')}"`);
  assert.match(lines[start + 1] ?? '', /^\|[\s|:-]+\|$/, 'the header is followed by its separator row');
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

/** A cell holding one code in backticks: the code. */
function code(cell: string | undefined): string {
  const m = /^`([^`]+)`$/.exec(cell ?? '');
  assert.ok(m, `expected one code in backticks, got ${JSON.stringify(cell)}`);
  return m[1]!;
}

function duplicates(values: readonly string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

describe('docs/errors.md', () => {
  it('lists exactly the codes of PROBLEM_CODES, each with its HTTP status', () => {
    const rows = table(doc, ['code', 'HTTP status']);
    const documented = rows.map((row) => code(row[0]));
    assert.deepEqual(duplicates(documented), [], 'each code is listed once');
    const missing = problemCodes.filter((c) => !documented.includes(c));
    const extra = documented.filter((c) => !problemCodes.includes(c as never));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
    for (const row of rows) {
      const documentedCode = code(row[0]) as keyof typeof PROBLEM_CODES;
      const status = row[1] === '—' ? null : Number(row[1]);
      assert.ok(status === null || Number.isInteger(status), `${documentedCode}: status "${row[1]}"`);
      assert.equal(status, PROBLEM_CODES[documentedCode].status, `${documentedCode}: HTTP status`);
      assert.ok((row[2] ?? '') !== '' && (row[3] ?? '') !== '', `${documentedCode}: meaning and source`);
    }
  });

  it('every code the HTTP API and the webhook receiver answer with is in PROBLEM_CODES', async () => {
    // Problems from operations are typed (`Problem.code`); the server's own answers are literals.
    const dir = path.join(root, 'src/server');
    const answered = new Set<string>();
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts'))) {
      const source = await readFile(path.join(dir, file), 'utf8');
      for (const m of source.matchAll(/\bcode: '([a-z_]+)'/g)) answered.add(m[1]!);
    }
    assert.ok(answered.size >= 10, `found only ${answered.size} codes in src/server: did the pattern drift?`);
    assert.deepEqual(
      [...answered].filter((c) => !Object.hasOwn(PROBLEM_CODES, c)),
      [],
      'codes answered by src/server but missing from PROBLEM_CODES',
    );
  });

  it('lists exactly the error-log categories, with their labels', () => {
    const rows = table(doc, ['category', 'label']);
    assert.deepEqual(
      rows.map((row) => [code(row[0]), row[1]]),
      errorCategories.map((c) => [c, errorCategoryLabels[c]]),
    );
  });
});
