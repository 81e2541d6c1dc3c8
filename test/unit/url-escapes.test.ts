import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, createPool, resolveConfig } from '../../src';

const BAD = 'postgres://u:pa%zzss@127.0.0.1:5432/test';

describe('a malformed percent-escape in the URL', () => {
  it('is a ConfigError naming the variable, with the password masked, from resolveConfig and createPool', () => {
    expect(() => resolveConfig({ url: BAD, env: {} })).toThrow(ConfigError);
    expect(() => createPool({ url: BAD, env: {} })).toThrow(ConfigError);
    const err = (() => {
      try {
        resolveConfig({ env: { DATABASE_URL: BAD } });
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', setting: 'DATABASE_URL' });
    expect(err?.message).not.toContain('pa%zzss');
  });

  it.each(['config', 'check'])('makes `lifeguard %s` exit 2 (a bad environment variable)', (command) => {
    const bin = join(__dirname, '../../bin/lifeguard.js');
    const result = spawnSync(process.execPath, [bin, command], { env: { ...process.env, DATABASE_URL: BAD }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(2);
  });
});
