/* POST /v1/ingest/experience: residents' Leefplekmeter score sheets. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "experience.h"
#include "handlers.h"
#include "handlers_ingest.h"

static sm_err copy_sheet(struct buf *copy, const struct experience *x, const char *device)
{
	char scores[EXPERIENCE_THEMES * 6 + 4];
	size_t n = 0;
	for (size_t t = 0; t < EXPERIENCE_THEMES; t++) {
		char one[8];
		snprintf(one, sizeof(one), "%d", x->score[t]);
		n += (size_t)snprintf(scores + n, sizeof(scores) - n, "%s%s", t ? "," : "{",
		                      x->score[t] ? one : "NULL");
	}
	snprintf(scores + n, sizeof(scores) - n, "}");
	sm_err e = copy_text(copy, device);
	if (e == SM_OK)
		e = copy_time(copy, x->observed_at);
	if (e == SM_OK)
		e = copy_double(copy, x->lat);
	if (e == SM_OK)
		e = copy_double(copy, x->lon);
	if (e == SM_OK)
		e = copy_text(copy, scores);
	if (e == SM_OK)
		e = x->remark ? copy_text(copy, x->remark) : copy_null(copy);
	if (e == SM_OK)
		e = copy_row_end(copy);
	return e;
}

void handle_ingest_experience(struct request *r)
{
	struct ingest_target t;
	struct experience_batch b;
	struct buf copy;
	json_t *root = NULL;
	char why[256];
	experience_batch_init(&b);
	buf_init(&copy, 0);
	if (!ingest_target(r, "experience", &t))
		goto out;
	if (!ingest_json_body(r, &root))
		goto out;
	sm_err e = experience_parse(root, (size_t)r->app->cfg->ingest_max_rows, scalar_now(), &b,
	                            why, sizeof(why));
	if (e != SM_OK) {
		respond_unparsable(r, e, why);
		goto out;
	}
	for (size_t i = 0; i < b.n; i++) {
		struct experience *x = &b.rows[i];
		if (!ingest_row_device(r, &t, x->device_ref, "device", x->index, &b.errors,
		                       &x->device))
			goto out;
		memset(x->device_ref, 0, sizeof(x->device_ref));
	}
	if (!ingest_resolve(r, &t))
		goto out;
	size_t stored = 0;
	for (size_t i = 0; e == SM_OK && i < b.n; i++) {
		const struct experience *x = &b.rows[i];
		const char *refusal = ingest_slot_refusal(&t, x->device);
		if (refusal) {
			if (x->device != SIZE_MAX)
				rowerr_add(&b.errors, x->index, "device", "%s", refusal);
			continue;
		}
		e = copy_sheet(&copy, x, t.devices->slots[x->device].id);
		stored++;
	}
	long long accepted = 0, duplicates = 0;
	if (e == SM_OK && stored > 0)
		e = ingest_run(r->app->db, &ingest_experience, &copy, &accepted, &duplicates);
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	respond_ingest(r, accepted, duplicates, &b.errors);
out:
	ingest_target_cleanup(&t);
	experience_batch_cleanup(&b);
	buf_cleanup(&copy);
	json_decref(root);
}
