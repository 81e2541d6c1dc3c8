/**
 * docs/sizing.md's worked examples are real: every ```console block is run as the command it
 * shows, and its output must be what the page says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './run-cli';

const page = readFileSync(join(ROOT, 'docs/sizing.md'), 'utf8');
const examples = [...page.matchAll(/```console\n\$ lifeguard (.*)\n([\s\S]*?)```/g)].map((m) => ({ args: m[1].trim(), expected: m[2].trimEnd() }));

describe('docs/sizing.md', () => {
  it('has worked examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples)('shows the real output of `lifeguard $args`', ({ args, expected }) => {
    const run = runCli(args.split(/\s+/));
    expect((run.stdout + run.stderr).trimEnd()).toBe(expected);
  });
});
