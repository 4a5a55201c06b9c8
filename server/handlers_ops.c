/* Operations: liveness, readiness, metrics and the API contract. */
#include "handlers.h"

#include <stdio.h>

#include "app.h"
#include "metrics.h"

void handle_healthz(struct request *r)
{
	respond_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void handle_readyz(struct request *r)
{
	struct app *app = r->app;
	bool primary = db_ping(app->db);
	bool replica = db_ping(app->db_read); /* its own pool, even on the same server */
	if (!primary || !replica) {
		char secs[16];
		snprintf(secs, sizeof(secs), "%d", app->cfg->database_retry_after_s);
		respond_header(r, "Retry-After", secs);
		respond_problem(r, PROBLEM_DATABASE_UNAVAILABLE, NULL,
		                "not ready: the %s database cannot be reached",
		                primary ? "read" : "primary");
		return;
	}
	respond_json(r, 200, json_pack("{s:s, s:s}", "status", "ready", "database", "ok"));
}

void handle_metrics(struct request *r)
{
	struct buf out;
	buf_init(&out, 0);
	if (metrics_render(&out) != SM_OK) {
		buf_cleanup(&out);
		respond_problem(r, PROBLEM_INTERNAL, NULL, "could not render the metrics");
		return;
	}
	respond_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
	buf_cleanup(&out);
}

void handle_openapi(struct request *r)
{
	respond_bytes(r, 200, "application/yaml", r->app->openapi, r->app->openapi_len);
}
