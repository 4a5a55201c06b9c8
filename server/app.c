#include "app.h"

#include <stdio.h>

void respond_db_error(struct request *r, sm_err e)
{
	if (e == SM_ERR_UNAVAILABLE) {
		char secs[16];
		snprintf(secs, sizeof(secs), "%d", r->app->cfg->database_retry_after_s);
		respond_header(r, "Retry-After", secs);
		respond_problem(r, PROBLEM_DATABASE_UNAVAILABLE, NULL,
		                "the database cannot be reached at the moment; retry in %s seconds",
		                secs);
		return;
	}
	if (e == SM_ERR_TIMEOUT) {
		respond_problem(
		    r, PROBLEM_QUERY_TIMEOUT, NULL,
		    "the query ran longer than %d ms and was stopped; ask for a shorter "
		    "range, a coarser bucket or space, or fewer statistics",
		    r->app->cfg->query_timeout_ms);
		return;
	}
	respond_problem(r, PROBLEM_INTERNAL, NULL,
	                "the request could not be completed; the server log has the details under "
	                "request id %s",
	                r->request_id);
}
