/**
 * Generates the Prisma client the Prisma suite uses, from schema.prisma, into ./generated (not
 * committed: it is Prisma's output for the installed Prisma version, ~150 kB, and would go stale
 * with every upgrade). Run by `npm run prisma:generate`, by `npm run typecheck` (pretypecheck) and
 * by jest's globalSetup; it does nothing when the client is already there for this schema and
 * this Prisma version.
 *
 * Offline: `prisma generate` wants to download Prisma's schema engine, which generating a client
 * does not use. PRISMA_SCHEMA_ENGINE_BINARY pointing at any executable stops the download; the
 * client it generates runs with no binary at all (its query compiler is WebAssembly).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const here = __dirname;
const schema = join(here, 'schema.prisma');
const output = join(here, 'generated');
const stamp = join(output, '.stamp');

function wanted() {
  const prismaVersion = require('prisma/package.json').version;
  const clientVersion = require('@prisma/client/package.json').version;
  return createHash('sha256').update(readFileSync(schema)).update(prismaVersion).update(clientVersion).digest('hex');
}

function generatePrismaClient() {
  const key = wanted();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return;
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema], {
    cwd: here,
    // Quiet when it works; execFileSync's error carries Prisma's output when it does not.
    stdio: 'pipe',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
  writeFileSync(stamp, key);
}

module.exports = generatePrismaClient;
if (require.main === module) generatePrismaClient();
