#include "handlers_ingest.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "jsonin.h"
#include "validate.h"

static const struct db_stmt project_by_slug = {
    "ingest_project_by_slug",
    "SELECT id, kind, auto_register FROM project WHERE slug = $1",
    1,
};

static const struct db_stmt project_by_id = {
    "ingest_project_by_id",
    "SELECT id, kind, auto_register, slug FROM project WHERE id = $1",
    1,
};

static const struct db_stmt device_in_project = {
    "ingest_device_in_project",
    "SELECT encode(external_pseudonym, 'hex') FROM device WHERE id = $1::uuid AND project_id = $2",
    2,
};

/* Runs a one-row lookup; SM_ERR_NOT_FOUND without a row. */
static sm_err lookup(struct request *r, const struct db_stmt *stmt, const char *const *params,
                     PGresult **res)
{
	struct db_conn *c;
	sm_err e = db_acquire(r->app->db, &c);
	if (e != SM_OK)
		return e;
	e = db_exec(c, stmt, params, res);
	db_release(r->app->db, c);
	if (e == SM_OK && PQntuples(*res) == 0) {
		PQclear(*res);
		*res = NULL;
		e = SM_ERR_NOT_FOUND;
	}
	return e;
}

void ingest_target_cleanup(struct ingest_target *t)
{
	sodium_memzero(t->last_ref, sizeof(t->last_ref));
	free(t->devices);
	t->devices = NULL;
}

bool ingest_target(struct request *r, const char *kind, struct ingest_target *t)
{
	memset(t, 0, sizeof(*t));
	t->devices = calloc(1, sizeof(*t->devices));
	if (!t->devices) {
		respond_problem(r, PROBLEM_INTERNAL, NULL, "out of memory");
		return false;
	}
	PGresult *res = NULL;
	sm_err e;
	char id[24];
	t->admin = r->auth.role == ROLE_ADMIN;
	if (t->admin) {
		const char *slug = request_query(r, "project");
		if (!slug || !slug_valid(slug)) {
			respond_problem(r, PROBLEM_INVALID_PARAMETER, "project",
			                "an admin import names its project: add ?project=<slug>");
			return false;
		}
		const char *params[] = {slug};
		e = lookup(r, &project_by_slug, params, &res);
	} else {
		snprintf(id, sizeof(id), "%lld", r->auth.project_id);
		const char *params[] = {id};
		e = lookup(r, &project_by_id, params, &res);
	}
	if (e == SM_ERR_NOT_FOUND) {
		respond_problem(r, PROBLEM_NOT_FOUND, "project", "the project does not exist");
		return false;
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		return false;
	}
	t->project_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	t->air = strcmp(kind, "air") == 0;
	bool kind_ok = strcmp(PQgetvalue(res, 0, 1), kind) == 0;
	char project_kind[16];
	snprintf(project_kind, sizeof(project_kind), "%s", PQgetvalue(res, 0, 1));
	/* Admin imports register the devices they name; webhooks only when the
	 * project allows it. */
	t->auto_register = t->admin || strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	PQclear(res);
	if (!kind_ok) {
		respond_problem(r, t->admin ? PROBLEM_INVALID_PARAMETER : PROBLEM_FORBIDDEN,
		                "project",
		                "this is a %s project; these readings belong in a %s project",
		                project_kind, kind);
		return false;
	}

	const char *device = t->admin ? request_query(r, "device") : r->auth.device_id;
	if (!device)
		return true;
	if (t->admin) {
		if (!uuid_valid(device)) {
			respond_problem(r, PROBLEM_INVALID_PARAMETER, "device",
			                "?device= must be a device id");
			return false;
		}
		snprintf(id, sizeof(id), "%lld", t->project_id);
		const char *params[] = {device, id};
		e = lookup(r, &device_in_project, params, &res);
		if (e == SM_ERR_NOT_FOUND) {
			respond_problem(r, PROBLEM_NOT_FOUND, "device",
			                "device %s is not registered in this project", device);
			return false;
		}
		if (e != SM_OK) {
			respond_db_error(r, e);
			return false;
		}
		e = device_set_slot(t->devices, PQgetvalue(res, 0, 0), &t->fallback);
		PQclear(res);
	} else {
		e = device_set_slot(t->devices, r->auth.external, &t->fallback);
	}
	if (e != SM_OK) {
		respond_problem(r, PROBLEM_INTERNAL, NULL, "could not note the device");
		return false;
	}
	t->has_default = true;
	return true;
}

/* The device slot for a row naming external id `ref` ("" for none). A device
 * token may only name itself: naming another device sets a 403 response and
 * returns false. A row naming none takes the default device; without one it
 * is listed in errs (field `field`) and *slot is SIZE_MAX. */
static bool ingest_row_device(struct request *r, struct ingest_target *t, const char *ref,
                              const char *field, size_t index, struct row_errors *errs,
                              size_t *slot)
{
	*slot = SIZE_MAX;
	if (!ref[0]) {
		if (t->has_default) {
			*slot = t->fallback;
			return true;
		}
		rowerr_add(errs, index, field,
		           "names no device; add the column, or import with ?device=<id>");
		return true;
	}
	if (t->last_ref[0] && strcmp(ref, t->last_ref) == 0) {
		*slot = t->last_slot;
		return true;
	}
	char hex[PSEUDONYM_HEX_BYTES];
	pseudonym_hex(PSEUDO_EXTERNAL_ID, ref, strlen(ref), hex);
	if (!t->admin && strcmp(hex, r->auth.external) != 0) {
		respond_problem(
		    r, PROBLEM_FORBIDDEN, field,
		    "row %zu belongs to another device: a device token writes only its own "
		    "device's data",
		    index);
		return false;
	}
	if (device_set_slot(t->devices, hex, slot) != SM_OK) {
		respond_problem(r, PROBLEM_INVALID_FIELD, field,
		                "an upload may name at most %d devices", INGEST_MAX_DEVICES);
		return false;
	}
	snprintf(t->last_ref, sizeof(t->last_ref), "%s", ref);
	t->last_slot = *slot;
	return true;
}

static bool resolve(struct request *r, struct ingest_target *t)
{
	sm_err e = ingest_resolve_devices(r->app->db, t->project_id, t->devices, t->auto_register);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return false;
	}
	return true;
}

/* Why rows of `slot` cannot be stored, or NULL when they can. */
static const char *slot_refusal(const struct ingest_target *t, size_t slot)
{
	if (slot == SIZE_MAX)
		return "names no device";
	const struct device_slot *s = &t->devices->slots[slot];
	if (!s->id[0])
		return "the device is not registered in this project";
	if (!s->active)
		return "the device is deactivated";
	return NULL;
}

bool ingest_json_body(struct request *r, json_t **root)
{
	char why[256], detail[300];
	const char *text = r->body.data ? r->body.data : "";
	size_t max_rows = (size_t)r->app->cfg->ingest_max_rows;
	/* Counted before any tree is built: a tree takes up to 80 times its
	 * text (`[{},{},...]`), so too many rows are refused unparsed. */
	if (jsonin_rows(text, r->body.len, max_rows) > max_rows) {
		snprintf(detail, sizeof(detail), "more than %zu rows", max_rows);
		respond_unparsable(r, SM_ERR_TOO_LARGE, detail);
		return false;
	}
	sm_err e =
	    jsonin_parse(text, r->body.len, r->app->cfg->json_max_depth, root, why, sizeof(why));
	if (e == SM_OK)
		return true;
	if (e == SM_ERR_TOO_LARGE) {
		respond_problem(r, PROBLEM_BODY_TOO_LARGE, NULL, "%s; nothing was stored", why);
		return false;
	}
	snprintf(detail, sizeof(detail), "the body is not valid JSON: %s", why);
	respond_unparsable(r, SM_ERR_INVALID, detail);
	return false;
}

bool ingest_tie_devices(struct request *r, struct ingest_target *t, const struct ingest_rows *rows)
{
	const struct config *cfg = r->app->cfg;
	usec_t now = scalar_now();
	timewindow_init(&t->window, now, cfg->ingest_horizon_days, cfg->ingest_max_months);
	if (t->air)
		timewindow_retain(&t->window, now, cfg->raw_retention_months,
		                  "raw_retention_months");
	else
		timewindow_retain(&t->window, now, cfg->raw_retention_other_months,
		                  "raw_retention_other_months");
	for (size_t i = 0; i < rows->n; i++) {
		const char *field;
		timewindow_note(&t->window, rows->time(rows->batch, i, &field));
	}
	timewindow_close(&t->window);
	for (size_t i = 0; i < rows->n; i++) {
		size_t index, *slot;
		char *ref;
		rows->row(rows->batch, i, &index, &ref, &slot);
		*slot = SIZE_MAX;
		bool none = !ref[0] && !t->has_default;
		if (!(none && rows->device_optional) &&
		    !ingest_row_device(r, t, ref, rows->device_field, index, rows->errors, slot))
			return false;
		sodium_memzero(ref, strlen(ref));
	}
	return resolve(r, t);
}

bool ingest_row_refused(const struct ingest_target *t, const struct ingest_rows *rows, size_t i)
{
	size_t index, *slot;
	char *ref;
	rows->row(rows->batch, i, &index, &ref, &slot);
	if (*slot != SIZE_MAX || !rows->device_optional) {
		const char *refusal = slot_refusal(t, *slot);
		if (refusal && *slot != SIZE_MAX) /* a row naming no device is listed already */
			rowerr_add(rows->errors, index, rows->device_field, "%s", refusal);
		if (refusal)
			return true;
	}
	/* Seen: one reading of 2000-01-01 beside one of today made 323 month
	 * partitions. */
	const char *field;
	char why[160];
	if (timewindow_refuses(&t->window, rows->time(rows->batch, i, &field), why, sizeof(why))) {
		rowerr_add(rows->errors, index, field, "%s", why);
		return true;
	}
	return false;
}

void ingest_store(struct request *r, struct ingest_target *t, const struct ingest_rows *rows,
                  const struct ingest_family *family)
{
	struct buf copy;
	buf_init(&copy, 0);
	if (!ingest_tie_devices(r, t, rows))
		goto out;
	sm_err e = SM_OK;
	size_t stored = 0;
	for (size_t i = 0; e == SM_OK && i < rows->n; i++) {
		if (ingest_row_refused(t, rows, i))
			continue;
		size_t index, *slot;
		char *ref;
		rows->row(rows->batch, i, &index, &ref, &slot);
		e = rows->copy(&copy, rows->batch, i,
		               *slot == SIZE_MAX ? NULL : &t->devices->slots[*slot]);
		stored++;
	}
	long long accepted = 0, duplicates = 0;
	if (e == SM_OK && stored > 0)
		e = ingest_run(r->app->db, family, &copy, &accepted, &duplicates);
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	respond_ingest(r, accepted, duplicates, rows->errors);
out:
	buf_cleanup(&copy);
}

void respond_unparsable(struct request *r, sm_err e, const char *why)
{
	if (e == SM_ERR_TOO_LARGE) {
		json_t *p = problem_new(PROBLEM_TOO_MANY_ROWS, why, NULL);
		json_object_set_new(p, "max_rows", json_integer(r->app->cfg->ingest_max_rows));
		respond_problem_json(r, p);
	} else if (e == SM_ERR_NOMEM) {
		respond_problem(r, PROBLEM_INTERNAL, NULL, "out of memory");
	} else {
		respond_problem(r, PROBLEM_MALFORMED_BODY, NULL, "%s; nothing was stored", why);
	}
}

void respond_ingest(struct request *r, long long accepted, long long duplicates,
                    const struct row_errors *errs)
{
	json_t *body;
	bool none = accepted == 0 && duplicates == 0 && errs->rejected > 0;
	if (none) {
		char detail[96];
		snprintf(detail, sizeof(detail), "all %zu rows were rejected", errs->rejected);
		body = problem_new(PROBLEM_REJECTED_ROWS, detail, NULL);
	} else {
		body = json_object();
	}
	json_object_set_new(body, "accepted", json_integer(accepted));
	json_object_set_new(body, "duplicates", json_integer(duplicates));
	json_object_set_new(body, "rejected", json_integer((json_int_t)errs->rejected));
	json_object_set_new(body, "errors", rowerr_json(errs));
	if (errs->rejected > errs->listed)
		json_object_set_new(body, "errors_truncated", json_true());
	if (none)
		respond_problem_json(r, body);
	else
		respond_json(r, 200, body);
}
