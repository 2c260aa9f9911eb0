"""Start the suite's shared PostgreSQL and RabbitMQ and keep them running.

Writes `export NAME=value` lines to the file named by argv[1] once both are
up, then waits until stdin closes or a signal arrives, and stops them.
tests/run uses it so that ordinary integration tests need not each boot
their own servers (fault tests still do).
"""
import os
import sys

import parley_harness as h


def main():
    services = h.private_services()
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"export PARLEY_TEST_AMQP_URL='{services.amqp_url}'\n")
        for role in h.AMQP_USERS:
            f.write(f"export PARLEY_TEST_AMQP_URL_{role.upper()}="
                    f"'{services.amqp_url_for(role)}'\n")
        f.write(f"export PARLEY_TEST_DATABASE_URL='{services.database_url}'\n")
        f.write(f"export PARLEY_TEST_PG_PORT='{services.postgres.port}'\n")
        f.write(f"export PARLEY_TEST_PG_SOCKET_DIR='{services.postgres.dir}'\n")
    os.rename(tmp, sys.argv[1])
    sys.stdin.read()  # until tests/run closes the pipe (or dies)


if __name__ == "__main__":
    main()
