#!/usr/bin/env bash
# Runs the contract and integration suites against the databases of docker/docker-compose.yml.
#   bash docker/run-tests.sh            PostgreSQL 16, MariaDB 11, sqld
#   bash docker/run-tests.sh mysql8     the same with MySQL 8 (port 3307) as the MySQL server
#   bash docker/run-tests.sh --no-compose [mysql8]
#                                       skip docker compose and use whatever listens on those ports
#                                       (CI does this with its own PostgreSQL and MariaDB)
# Every database is required (REQUIRE_DATABASES=1): one that is down fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

compose=1
mysql=mariadb
for arg in "$@"; do
  case "$arg" in
    --no-compose) compose=0 ;;
    mysql8) mysql=mysql8 ;;
    mariadb) mysql=mariadb ;;
    *) echo "usage: $0 [--no-compose] [mariadb|mysql8]" >&2; exit 2 ;;
  esac
done

if [ "$compose" = 1 ]; then
  docker compose -f docker/docker-compose.yml up -d --wait postgres "$mysql" sqld
  export TEST_LIBSQL_URL="${TEST_LIBSQL_URL:-http://127.0.0.1:${LIFEGUARD_SQLD_PORT:-8080}}"
fi

export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:${LIFEGUARD_POSTGRES_PORT:-5432}/test}"
if [ "$mysql" = mysql8 ]; then
  export TEST_MYSQL_URL="${TEST_MYSQL_URL:-mysql://root@127.0.0.1:${LIFEGUARD_MYSQL8_PORT:-3307}/test}"
else
  export TEST_MYSQL_URL="${TEST_MYSQL_URL:-mysql://root@127.0.0.1:${LIFEGUARD_MARIADB_PORT:-3306}/test}"
fi
export REQUIRE_DATABASES=1

echo "postgres: ${TEST_POSTGRES_URL}  mysql: ${TEST_MYSQL_URL}  libsql: ${TEST_LIBSQL_URL:-(embedded only)}"
npm run build --silent
npx jest test/contract test/integration
