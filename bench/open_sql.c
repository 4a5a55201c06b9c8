/* The SQL that GET /v1/aggregates runs, for bench/bench_open.sh to time in
 * psql beside the HTTP figures. The query string goes through the server's
 * own agg_parse() and agg_sql() (linked from server/), and the parameters are
 * filled as server/handlers_open.c fills them, so the text is the server's
 * exactly and stays so when the builder changes.
 *
 *   open_sql NAME QUERY K UNIT     prints "PREPARE NAME AS <sql>;"
 *   open_sql -e NAME QUERY K UNIT  prints "EXECUTE NAME(<the parameters>)"
 *
 * QUERY is the query string (a=b&c=d, no percent-encoding), K the project's
 * k_anonymity (handlers_open.c reads it from project), UNIT the quantity's
 * unit (from quantity). Only the path /v1/aggregates is assumed, for the
 * next-page link. The 17th parameter is the layer of space=area:; those
 * after it (an exceedance's reference) are passed as NULL, as
 * handlers_open.c does for /v1/aggregates; the script checks that psql's
 * answer is the HTTP body, byte for byte.
 *
 * Built by bench/bench_open.sh against the server build it benchmarks (every
 * object but main.o, as the unit tests link):
 *   cc -std=c17 -D_GNU_SOURCE -O2 -Iserver -o open_sql bench/open_sql.c \
 *      BUILD/server/!(main).o $(pkg-config --libs ...) -lm -pthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

#define MAXQ 32
static char *keys[MAXQ], *values[MAXQ];
static int nq;

static const char *get(void *ctx, const char *name)
{
	(void)ctx;
	for (int i = 0; i < nq; i++)
		if (strcmp(keys[i], name) == 0)
			return values[i];
	return NULL;
}

/* A SQL literal, or NULL. */
static void literal(const char *s)
{
	if (!s) {
		fputs("NULL", stdout);
		return;
	}
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			putchar('\'');
		putchar(*s);
	}
	putchar('\'');
}

int main(int argc, char **argv)
{
	int a = 1;
	int execute = argc > 1 && strcmp(argv[1], "-e") == 0;
	a += execute;
	if (argc - a != 4) {
		fprintf(stderr, "usage: %s [-e] NAME QUERY K UNIT\n", argv[0]);
		return 2;
	}
	const char *name = argv[a], *k = argv[a + 2], *unit = argv[a + 3];
	char *query = strdup(argv[a + 1]);
	for (char *save = NULL, *p = strtok_r(query, "&", &save); p && nq < MAXQ;
	     p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');
		keys[nq] = p;
		values[nq] = eq ? (*eq = '\0', eq + 1) : "";
		nq++;
	}

	struct agg_query q;
	int nparams = 0;
	char param[32], why[200];
	if (agg_parse(get, NULL, NULL, scalar_now(), &q, param, sizeof(param), why, sizeof(why)) !=
	    SM_OK) {
		fprintf(stderr, "%s: \"%s\" %s\n", argv[0], param, why);
		return 1;
	}

	/* The column, as handlers_open.c takes it from the catalogue. */
	{
		static const struct {
			const char *quantity, *column;
		} columns[] = {{"pm1", "pm1_ugm3"},       {"pm25", "pm25_ugm3"},
		               {"pm10", "pm10_ugm3"},     {"no2", "no2"},
		               {"temperature", "temperature_c"}, {"humidity", "humidity_pct"}};
		const char *column = NULL;
		for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
			if (strcmp(columns[i].quantity, q.quantity) == 0)
				column = columns[i].column;
		if (!column) {
			fprintf(stderr, "%s: not an air quantity: %s\n", argv[0], q.quantity);
			return 1;
		}
		struct buf sql;
		buf_init(&sql, 0);
		if (agg_sql(&q, column, &sql) != SM_OK) {
			fprintf(stderr, "%s: agg_sql failed\n", argv[0]);
			return 1;
		}
		/* The highest $n the text names. */
		for (const char *p = sql.data; (p = strchr(p, '$')) != NULL;) {
			char *end;
			long v = strtol(++p, &end, 10);
			if (end > p && v > nparams)
				nparams = (int)v;
			p = end;
		}
		if (!execute)
			printf("PREPARE %s AS %s;\n", name, sql.data);
		buf_cleanup(&sql);
		if (!execute)
			return 0;
	}

	/* The parameters, as handle_aggregates() passes them. */
	char from[SCALAR_TIME_LEN], to[SCALAR_TIME_LEN], b[4][32], offset[24], limit[16], cell[16];
	scalar_time_format(q.from, from);
	scalar_time_format(q.to, to);
	for (int i = 0; i < 4; i++)
		snprintf(b[i], sizeof(b[i]), "%.17g", q.bbox[i]);
	snprintf(offset, sizeof(offset), "%lld", q.offset);
	snprintf(limit, sizeof(limit), "%d", q.limit);
	snprintf(cell, sizeof(cell), "%d", q.cell_m);
	/* The next link: the path, every parameter but offset, then "offset=". */
	static char next[4096];
	size_t n = (size_t)snprintf(next, sizeof(next), "/v1/aggregates?");
	for (int i = 0; i < nq && n < sizeof(next); i++)
		if (strcmp(keys[i], "offset") != 0)
			n += (size_t)snprintf(next + n, sizeof(next) - n, "%s=%s&", keys[i], values[i]);
	if (n < sizeof(next))
		snprintf(next + n, sizeof(next) - n, "offset=");
	const char *params[] = {
	    from,
	    to,
	    q.project[0] ? q.project : NULL,
	    q.has_bbox ? b[0] : NULL,
	    q.has_bbox ? b[1] : NULL,
	    q.has_bbox ? b[2] : NULL,
	    q.has_bbox ? b[3] : NULL,
	    k,
	    offset,
	    limit,
	    q.all_quality ? "t" : "f",
	    q.amsterdam ? "Europe/Amsterdam" : "UTC",
	    q.quantity,
	    unit,
	    next,
	    cell,
	    q.space == AGG_AREA ? q.layer : NULL,
	};
	printf("EXECUTE %s(", name);
	for (int i = 0; i < nparams; i++) {
		if (i)
			fputs(", ", stdout);
		literal((size_t)i < sizeof(params) / sizeof(params[0]) ? params[i] : NULL);
	}
	puts(")");
	free(query);
	return 0;
}
