#include "retention.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The raw tables, each with the months of its family. */
struct retention_table {
	const char *parent;
	bool air;
};

static const struct retention_table tables[] = {
    {"air_reading", true},
    {"traffic_report", false},
    {"heat_observation", false},
    {"experience_score", false},
};

/* The start of the UTC month `$1` months before this one: the first
 * instant kept (timewindow_retain refuses uploads before it the same way). */
static const struct db_stmt kept_from = {
    "retention_kept_from",
    "SELECT (date_trunc('month', now() AT TIME ZONE 'UTC')"
    " - make_interval(months => $1::integer)) AT TIME ZONE 'UTC'",
    1,
};

static const struct db_stmt due = {
    "retention_due",
    "SELECT part, pending FROM raw_retention_partitions($1, $2::timestamptz)",
    2,
};

static const struct db_stmt begin = {
    "retention_begin",
    "SELECT raw_retention_begin($1, $2::timestamptz)",
    2,
};

bool retention_enabled(const struct retention_policy *p)
{
	return p->air_months > 0 || p->other_months > 0;
}

/* Detaches partition `part` of `parent` (finalizing a pending detach) and
 * drops it, each step under the lock timeout already set. */
static sm_err drop_partition(struct db_conn *conn, const char *parent, const char *part,
                             bool pending)
{
	sm_err e = SM_ERR_NOMEM;
	char *p = PQescapeIdentifier(conn->pg, parent, strlen(parent));
	char *q = PQescapeIdentifier(conn->pg, part, strlen(part));
	char sql[512];
	if (!p || !q)
		goto out;
	/* CONCURRENTLY: uploads and reads of the other months go on; it waits
	 * (up to the lock timeout) for transactions that may read this one. */
	snprintf(sql, sizeof(sql), "ALTER TABLE %s DETACH PARTITION %s %s", p, q,
	         pending ? "FINALIZE" : "CONCURRENTLY");
	e = db_command(conn, sql);
	if (e != SM_OK)
		goto out;
	snprintf(sql, sizeof(sql), "DROP TABLE %s", q);
	e = db_command(conn, sql);
out:
	PQfreemem(p);
	PQfreemem(q);
	return e;
}

/* Drops the due partitions of one table. */
static sm_err run_table(struct db_conn *conn, const struct retention_table *t, int months,
                        int *dropped)
{
	PGresult *kept = NULL, *parts = NULL, *res = NULL;
	char m[16];
	snprintf(m, sizeof(m), "%d", months);
	const char *p1[] = {m};
	sm_err e = db_exec(conn, &kept_from, p1, &kept);
	if (e != SM_OK)
		goto out;
	const char *p2[] = {t->parent, PQgetvalue(kept, 0, 0)};
	e = db_exec(conn, &due, p2, &parts);
	if (e != SM_OK || PQntuples(parts) == 0)
		goto out;
	/* First what depends on the readings, in its own transaction: from
	 * then on no rollup hour before kept_from is recounted. */
	e = db_exec(conn, &begin, p2, &res);
	if (e != SM_OK)
		goto out;
	for (int i = 0; i < PQntuples(parts); i++) {
		const char *part = PQgetvalue(parts, i, 0);
		bool pending = strcmp(PQgetvalue(parts, i, 1), "t") == 0;
		e = drop_partition(conn, t->parent, part, pending);
		if (e != SM_OK) {
			log_info("could not drop %s of %s yet (%s); trying again later", part,
			         t->parent, sm_err_str(e));
			goto out;
		}
		(*dropped)++;
		log_info("dropped %s: raw readings before %s are not kept", part,
		         PQgetvalue(kept, 0, 0));
	}
out:
	PQclear(kept);
	PQclear(parts);
	PQclear(res);
	return e;
}

sm_err retention_run(struct db_conn *conn, const struct retention_policy *p, int *dropped)
{
	*dropped = 0;
	char set[64];
	snprintf(set, sizeof(set), "SET lock_timeout = %d", p->lock_timeout_ms);
	sm_err e = db_command(conn, set);
	sm_err first = SM_OK;
	for (size_t i = 0; e == SM_OK && i < sizeof(tables) / sizeof(tables[0]); i++) {
		int months = tables[i].air ? p->air_months : p->other_months;
		if (months <= 0)
			continue;
		sm_err te = run_table(conn, &tables[i], months, dropped);
		/* A lock not had: go on with the other tables. */
		if (te == SM_ERR_TIMEOUT) {
			if (first == SM_OK)
				first = te;
		} else {
			e = te;
		}
	}
	if (conn->pg && db_command(conn, "RESET lock_timeout") != SM_OK && e == SM_OK)
		e = SM_ERR_UNAVAILABLE;
	return e != SM_OK ? e : first;
}
