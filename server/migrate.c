#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

#define MIGRATE_LOCK_ID 0x736d7531 /* "smu1" */
#define MIGRATE_MAX_FILES 512
#define MIGRATE_MAX_FILE_BYTES (16u << 20)

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_migration_name(const char *name)
{
	size_t n = strlen(name);
	return n > 8 && name[0] >= '0' && name[0] <= '9' && name[1] >= '0' && name[1] <= '9' &&
	       name[2] >= '0' && name[2] <= '9' && name[3] == '_' &&
	       strcmp(name + n - 4, ".sql") == 0;
}

static sm_err read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return SM_ERR_IO;
	sm_err e = SM_OK;
	char chunk[8192];
	size_t n;
	while (e == SM_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		e = buf_append(out, chunk, n);
	if (e == SM_OK && ferror(f))
		e = SM_ERR_IO;
	fclose(f);
	return e;
}

static bool exec_ok(PGconn *pg, const char *sql, int nparams, const char *const *params,
                    PGresult **keep, char *errbuf, size_t errlen, const char *what)
{
	PGresult *r = PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *msg = PQresultErrorMessage(r);
		snprintf(errbuf, errlen, "%s failed: %.*s", what, (int)strcspn(msg, "\n"), msg);
		PQclear(r);
		return false;
	}
	if (keep)
		*keep = r;
	else
		PQclear(r);
	return true;
}

static sm_err apply_one(PGconn *pg, const char *dir, const char *name, int *applied, char *errbuf,
                        size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct buf sql;
	buf_init(&sql, MIGRATE_MAX_FILE_BYTES);
	sm_err e = read_file(path, &sql);
	if (e != SM_OK) {
		snprintf(errbuf, errlen, "could not read migration \"%s\"", path);
		goto out;
	}
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	crypto_hash_sha256(digest, (const unsigned char *)sql.data, sql.len);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));

	const char *params[2] = {name, hex};
	PGresult *r = NULL;
	e = SM_ERR_INTERNAL;
	if (!exec_ok(pg, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, params, &r,
	             errbuf, errlen, "reading schema_migrations"))
		goto out;
	if (PQntuples(r) == 1) {
		bool same = strcmp(PQgetvalue(r, 0, 0), hex) == 0;
		PQclear(r);
		if (!same) {
			snprintf(errbuf, errlen,
			         "migration \"%s\" was changed after it was applied; add a new "
			         "migration "
			         "instead",
			         name);
			e = SM_ERR_INVALID;
			goto out;
		}
		e = SM_OK;
		goto out;
	}
	PQclear(r);

	char what[512];
	snprintf(what, sizeof(what), "migration \"%s\"", name);
	if (!exec_ok(pg, "BEGIN", 0, NULL, NULL, errbuf, errlen, what))
		goto out;
	PGresult *run = PQexec(pg, sql.data);
	ExecStatusType st = PQresultStatus(run);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *msg = PQresultErrorMessage(run);
		snprintf(errbuf, errlen, "migration \"%s\" failed: %.*s", name,
		         (int)strcspn(msg, "\n"), msg);
		PQclear(run);
		PQclear(PQexec(pg, "ROLLBACK"));
		goto out;
	}
	PQclear(run);
	if (!exec_ok(pg, "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", 2,
	             params, NULL, errbuf, errlen, what) ||
	    !exec_ok(pg, "COMMIT", 0, NULL, NULL, errbuf, errlen, what)) {
		PQclear(PQexec(pg, "ROLLBACK"));
		goto out;
	}
	log_info("applied migration %s", name);
	(*applied)++;
	e = SM_OK;
out:
	buf_cleanup(&sql);
	return e;
}

sm_err migrate_run(PGconn *pg, const char *dir, int *applied, char *errbuf, size_t errlen)
{
	*applied = 0;
	char *names[MIGRATE_MAX_FILES];
	size_t n = 0;
	sm_err e = SM_ERR_INTERNAL;
	bool locked = false;

	DIR *d = opendir(dir);
	if (!d) {
		snprintf(errbuf, errlen, "could not open migrations folder \"%s\": %s", dir,
		         strerror(errno));
		return SM_ERR_IO;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!is_migration_name(de->d_name))
			continue;
		if (n == MIGRATE_MAX_FILES) {
			snprintf(errbuf, errlen, "more than %d migrations in \"%s\"",
			         MIGRATE_MAX_FILES, dir);
			e = SM_ERR_TOO_LARGE;
			goto out;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			e = SM_ERR_NOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(names[0]), by_name);

	char lock_sql[96];
	snprintf(lock_sql, sizeof(lock_sql), "SELECT pg_advisory_lock(%d)", MIGRATE_LOCK_ID);
	if (!exec_ok(pg, lock_sql, 0, NULL, NULL, errbuf, errlen, "taking the migration lock"))
		goto out;
	locked = true;
	if (!exec_ok(pg,
	             "CREATE TABLE IF NOT EXISTS schema_migrations ("
	             " version text PRIMARY KEY,"
	             " checksum text NOT NULL,"
	             " applied_at timestamptz NOT NULL DEFAULT now())",
	             0, NULL, NULL, errbuf, errlen, "creating schema_migrations"))
		goto out;
	for (size_t i = 0; i < n; i++) {
		e = apply_one(pg, dir, names[i], applied, errbuf, errlen);
		if (e != SM_OK)
			goto out;
	}
	e = SM_OK;
out:
	if (locked) {
		snprintf(lock_sql, sizeof(lock_sql), "SELECT pg_advisory_unlock(%d)",
		         MIGRATE_LOCK_ID);
		PQclear(PQexec(pg, lock_sql));
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	closedir(d);
	return e;
}
