/**
 * docs/configuration.md is generated from the settings table; this test fails when someone changes
 * the table (or the doc) without regenerating it, so the reference cannot drift from the resolver.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationReference } from '../../src/config/reference';
import { SETTINGS, SPECIAL_VARIABLES } from '../../src/config/options';
import { PROFILES } from '../../src/config/profiles';

const committed = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');

describe('the configuration reference', () => {
  it('is exactly what the generator produces (run `npm run docs:config` after changing a setting)', () => {
    expect(committed).toBe(configurationReference());
  });

  it('lists every variable, alias and URL parameter with its option name and doc line', () => {
    const reference = configurationReference();
    for (const spec of SETTINGS) {
      expect(reference).toContain(`### \`${spec.key}\``);
      expect(reference).toContain(spec.doc);
      for (const variable of spec.env) expect(reference).toContain(`\`${variable.name}\``);
      for (const param of spec.urlParams) expect(reference).toContain(`\`?${param.name}=\``);
    }
    for (const variable of SPECIAL_VARIABLES) expect(reference).toContain(`| \`${variable.name}\` | ${variable.doc} |`);
  });

  it('gives the units of aliases that differ from their canonical variable', () => {
    const reference = configurationReference();
    expect(reference).toContain('`DATABASE_POOL_TIMEOUT`, in seconds, default prefix only');
    expect(reference).toContain('`?pool_timeout=`, in seconds');
    expect(reference).toContain('`DATABASE_POOL_MAX_USAGE_COUNT`, default prefix only');
  });

  it('shows each profile’s value for a setting the profiles change', () => {
    const section = configurationReference().split('### `max`')[1].split('###')[0];
    expect(section).toContain(`development ${PROFILES.development.max}; test ${PROFILES.test.max}; staging ${PROFILES.staging.max}; production ${PROFILES.production.max}`);
    expect(section).toMatch(/\| Default \| 10 \|/);
  });

  it('is a pure function: the same text every time', () => {
    expect(configurationReference()).toBe(configurationReference());
  });
});
