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

static void sheet_row(void *batch, size_t i, size_t *index, char **ref, size_t **slot)
{
	struct experience *x = &((struct experience_batch *)batch)->rows[i];
	*index = x->index;
	*ref = x->device_ref;
	*slot = &x->device;
}

static sm_err sheet_copy(struct buf *copy, const void *batch, size_t i,
                         const struct device_slot *device)
{
	return copy_sheet(copy, &((const struct experience_batch *)batch)->rows[i], device->id);
}

static usec_t sheet_time(const void *batch, size_t i, const char **field)
{
	*field = "time";
	return ((const struct experience_batch *)batch)->rows[i].observed_at;
}

void handle_ingest_experience(struct request *r)
{
	struct ingest_target t;
	struct experience_batch b;
	json_t *root = NULL;
	char why[256];
	experience_batch_init(&b);
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
	struct ingest_rows rows = {&b,    b.n,       &b.errors,  "device",
	                           false, sheet_row, sheet_copy, sheet_time};
	ingest_store(r, &t, &rows, &ingest_experience);
out:
	ingest_target_cleanup(&t);
	experience_batch_cleanup(&b);
	json_decref(root);
}
