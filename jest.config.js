/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Database suites share one PostgreSQL and one MariaDB; running files one at a time keeps
  // fault tests (which kill backends) from breaking their neighbours.
  maxWorkers: 1,
  testTimeout: 30000,
  // The Prisma client the lifeguard/pg suite uses, generated from its schema (offline; nothing
  // to do when it is already there for this schema and Prisma version).
  globalSetup: '<rootDir>/test/integration/pg/prisma/generate.js',
};
