/* Schema migrations: the files NNN_name.sql in a folder, applied in name
 * order, each once, each in its own transaction, recorded with a checksum in
 * the table schema_migrations. An advisory lock keeps two servers starting
 * at once from racing. A file changed after it was applied stops the start. */
#ifndef SAMENMETEN_MIGRATE_H
#define SAMENMETEN_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "err.h"

/* Applies what is missing; *applied counts the files run now. On failure
 * errbuf names the file and the reason. */
MUST_CHECK sm_err migrate_run(PGconn *pg, const char *dir, int *applied, char *errbuf,
                              size_t errlen);

#endif
