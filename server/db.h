/* PostgreSQL access: a fixed pool of libpq connections, each owned by one
 * thread between db_acquire and db_release. Statements are declared where
 * they are used (a static struct db_stmt) and prepared on each connection
 * the first time it runs them. A connection that the server dropped (a
 * restart) is noticed on acquire and reconnected; while the database cannot
 * be reached, calls fail with SM_ERR_UNAVAILABLE and the process goes on.
 * This layer never sees HTTP. */
#ifndef SAMENMETEN_DB_H
#define SAMENMETEN_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define DB_MAX_PREPARED 64

struct db_stmt {
	const char *name; /* unique in the process */
	const char *sql;  /* with $1..$n */
	int nparams;
};

/* Whose statements a pool's connections send: requests', or a background
 * task's (the refresher), which /metrics counts apart. */
enum db_work { DB_FOR_REQUESTS, DB_FOR_BACKGROUND };

struct db_pool;

struct db_conn {
	struct db_pool *owner; /* the pool it belongs to (a fallback's, maybe) */
	PGconn *pg;
	/* Counts the connections made in this slot: session state (an advisory
	 * lock) held by one value is gone when it changes. */
	unsigned long session;
	enum db_work work;
	const struct db_stmt *prepared[DB_MAX_PREPARED];
	size_t nprepared;
	char sqlstate[6]; /* of the last failure; "" when none */
};

struct db_pool_options {
	int size;                 /* connections */
	int wait_ms;              /* how long db_acquire waits for a free one */
	enum db_work work;        /* whose statements, for /metrics */
	int statement_timeout_ms; /* each statement's limit (SM_ERR_TIMEOUT past it); 0: none */
	/* Borrowed, may be NULL: where db_acquire goes while this pool's
	 * database cannot be reached (a read replica's: the primary's reads).
	 * The pool is marked down when a connection to it fails, and up again
	 * by db_pool_mark (a health check: server/replica.c). */
	struct db_pool *fallback;
};

/* Opens a pool of connections to `url`, connecting lazily. Owned by the
 * caller; free with db_pool_close. */
MUST_CHECK sm_err db_pool_open(struct db_pool **out, const char *url,
                               const struct db_pool_options *opt);
void db_pool_close(struct db_pool *pool);

/* Takes a connection, waiting up to the pool's wait time, (re)connecting
 * when needed; from the fallback pool while this one is down, or when
 * connecting to its database fails. SM_ERR_UNAVAILABLE when none can be
 * had. The connection is borrowed until db_release. */
MUST_CHECK sm_err db_acquire(struct db_pool *pool, struct db_conn **out);
/* As db_acquire, from this pool only, whether marked down or not (health
 * checks); a failure to connect marks the pool down. */
MUST_CHECK sm_err db_acquire_own(struct db_pool *pool, struct db_conn **out);
/* Gives the connection back to the pool it came from (conn->owner, which
 * may be `pool`'s fallback); one left inside a transaction is rolled back. */
void db_release(struct db_pool *pool, struct db_conn *conn);

/* Whether db_acquire takes this pool's own connections (true) or its
 * fallback's; and setting it (a health check found the database back, or
 * gone). Without a fallback, a pool is never down. */
bool db_pool_up(struct db_pool *pool);
void db_pool_mark(struct db_pool *pool, bool up);

/* Runs a statement with text parameters (NULL = SQL NULL). On SM_OK, *res
 * (owned; PQclear) holds the rows. Errors: SM_ERR_CONFLICT (unique
 * violation), SM_ERR_UNAVAILABLE (connection lost), SM_ERR_TIMEOUT (past
 * the pool's statement timeout), SM_ERR_INVALID (a constraint or data
 * error), SM_ERR_INTERNAL; the text goes to the log. */
MUST_CHECK sm_err db_exec(struct db_conn *conn, const struct db_stmt *stmt,
                          const char *const *params, PGresult **res);

/* Runs SQL built at run time (from fixed fragments) with text parameters;
 * not prepared. Results and errors as db_exec. */
MUST_CHECK sm_err db_exec_sql(struct db_conn *conn, const char *sql, int nparams,
                              const char *const *params, PGresult **res);

/* Runs fixed SQL without parameters and throws the rows away ("BEGIN"). */
MUST_CHECK sm_err db_command(struct db_conn *conn, const char *sql);

/* Sends `sql`, which may hold several statements and must end with a
 * COPY ... FROM STDIN, then `len` bytes of COPY text, and waits for the copy
 * to finish. Errors as db_exec. */
MUST_CHECK sm_err db_copy(struct db_conn *conn, const char *sql, const char *data, size_t len);

/* Runs `sql` (several statements allowed, no parameters). On SM_OK, *rows
 * (owned; PQclear) is the first result that has rows, or NULL. A failing
 * statement stops the rest. Errors as db_exec. */
MUST_CHECK sm_err db_script(struct db_conn *conn, const char *sql, PGresult **rows);

/* Starts `sql` (a COPY ... TO STDOUT) on conn; then db_copy_out_next
 * hands out its data row by row: SM_OK with *row (owned by libpq until the
 * next call; freed by db_copy_out_next) and *len, SM_ERR_NOT_FOUND at the
 * end. Errors as db_exec. */
MUST_CHECK sm_err db_copy_out_start(struct db_conn *conn, const char *sql);
MUST_CHECK sm_err db_copy_out_next(struct db_conn *conn, char **row, int *len);

/* True when SELECT 1 succeeds on a pooled connection. */
bool db_ping(struct db_pool *pool);

/* Connects once, outside any pool (migrations, tools). */
MUST_CHECK sm_err db_connect(const char *url, PGconn **out, char *errbuf, size_t errlen);

#endif
