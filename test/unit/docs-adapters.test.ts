import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** docs/adapters.md shows the third-party example verbatim; the example itself runs in the contract suite. */
describe('docs/adapters.md', () => {
  const doc = readFileSync(join(__dirname, '../../docs/adapters.md'), 'utf8');

  it('shows examples/third-party-adapter.ts as it is, imported from the package', () => {
    const source = readFileSync(join(__dirname, '../../examples/third-party-adapter.ts'), 'utf8').replace("from '../src';", "from 'lifeguard';");
    const marker = '<!-- example: examples/third-party-adapter.ts -->\n```ts\n';
    const start = doc.indexOf(marker);
    expect(start).toBeGreaterThanOrEqual(0);
    const block = doc.slice(start + marker.length, doc.indexOf('```\n', start + marker.length));
    expect(block).toBe(source);
  });

  it('lists every scheme the registry knows', () => {
    for (const scheme of ['postgres://', 'postgresql://', 'mysql://', 'mariadb://', 'sqlite:', 'file:', 'libsql://']) expect(doc).toContain(scheme);
  });
});
