/* Request handlers, one file per area. Each reads a struct request and sets
 * its response; none sees libmicrohttpd. */
#ifndef SAMENMETEN_HANDLERS_H
#define SAMENMETEN_HANDLERS_H

#include <stdbool.h>

#include "request.h"

/* handlers_ops.c */
void handle_healthz(struct request *r);
void handle_readyz(struct request *r);
void handle_metrics(struct request *r);
void handle_openapi(struct request *r);

/* handlers_registry.c */
void handle_project_create(struct request *r);
void handle_project_list(struct request *r);
void handle_project_get(struct request *r);
void handle_device_create(struct request *r);
void handle_device_list(struct request *r);
void handle_device_get(struct request *r);
void handle_device_rotate(struct request *r);
void handle_device_deactivate(struct request *r);
void handle_erasure(struct request *r);

/* handlers_air.c */
void handle_ingest_snuffelfiets(struct request *r);

/* handlers_traffic.c */
void handle_segments_register(struct request *r);
void handle_segment_device(struct request *r);
void handle_ingest_telraam(struct request *r);

/* handlers_heat.c */
#define WEBHOOK_SECRET_HEADER "X-Samenmeten-Secret"
void handle_ingest_heat(struct request *r);
void handle_ingest_ttn(struct request *r);
void handle_webhook_secret(struct request *r);

/* handlers_experience.c */
void handle_ingest_experience(struct request *r);

/* handlers_open.c */
void handle_quantity_list(struct request *r);
void handle_aggregates(struct request *r);
void handle_latest(struct request *r);
void handle_coverage(struct request *r);
void handle_exceedances(struct request *r);
void handle_dataset(struct request *r);
void handle_dataset_readings(struct request *r);

/* handlers_researchers.c */
void handle_researcher_create(struct request *r);
void handle_researcher_list(struct request *r);
void handle_researcher_revoke(struct request *r);
void handle_download_audit(struct request *r);
/* Records a point-level download by the caller (a researcher, or the admin)
 * of project `slug` over [from, to) (RFC 3339, or NULL) in `format`, before
 * its first byte. SM_ERR_NOT_FOUND: no such project; other errors as
 * db_exec: nothing may be sent then. */
MUST_CHECK sm_err researcher_audit_download(struct request *r, const char *slug, const char *from,
                                            const char *to, const char *format);

/* handlers_areas.c */
void handle_area_upload(struct request *r);
void handle_area_delete(struct request *r);
void handle_area_list(struct request *r);
void handle_area_get(struct request *r);

/* handlers_stations.c */
void handle_station_list(struct request *r);
void handle_station_series(struct request *r);

/* handlers_segments.c */
void handle_segment_list(struct request *r);
void handle_segment_series(struct request *r);

/* handlers_web.c */
void handle_dashboard(struct request *r);
void handle_docs(struct request *r);
void handle_asset(struct request *r);
void handle_vendor(struct request *r);

#endif
