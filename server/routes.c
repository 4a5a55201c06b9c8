#include "routes.h"

#include "handlers.h"

static const char *const json_body[] = {"application/json", NULL};
static const char *const csv_or_json_body[] = {"text/csv", "application/json", NULL};

const struct route routes[] = {
    {"GET", "/healthz", handle_healthz, AUTH_PUBLIC, NULL, true, WORK_EVENT},
    {"GET", "/readyz", handle_readyz, AUTH_PUBLIC, NULL, true, WORK_ADMIN},
    {"GET", "/metrics", handle_metrics, AUTH_PUBLIC, NULL, true, WORK_EVENT},
    {"GET", "/v1/openapi.yaml", handle_openapi, AUTH_PUBLIC, NULL, false, WORK_EVENT},

    {"GET", "/v1/projects", handle_project_list, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"POST", "/v1/projects", handle_project_create, AUTH_ADMIN, json_body, false, WORK_ADMIN},
    {"GET", "/v1/projects/{slug}", handle_project_get, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/projects/{slug}/devices", handle_device_list, AUTH_ADMIN, NULL, false, WORK_ADMIN},
    {"POST", "/v1/projects/{slug}/devices", handle_device_create, AUTH_ADMIN, json_body, false,
     WORK_ADMIN},
    {"GET", "/v1/devices/{id}", handle_device_get, AUTH_ADMIN, NULL, false, WORK_ADMIN},
    {"POST", "/v1/devices/{id}/token", handle_device_rotate, AUTH_ADMIN, NULL, false, WORK_ADMIN},
    {"POST", "/v1/devices/{id}/deactivate", handle_device_deactivate, AUTH_ADMIN, NULL, false,
     WORK_ADMIN},
    {"POST", "/v1/ingest/snuffelfiets", handle_ingest_snuffelfiets, AUTH_DEVICE, csv_or_json_body,
     false, WORK_UPLOAD},
    {"POST", "/v1/segments", handle_segments_register, AUTH_ADMIN, json_body, false, WORK_ADMIN},
    {"POST", "/v1/segments/{id}/device", handle_segment_device, AUTH_ADMIN, json_body, false,
     WORK_ADMIN},
    {"POST", "/v1/ingest/telraam", handle_ingest_telraam, AUTH_DEVICE, json_body, false,
     WORK_UPLOAD},
    {"POST", "/v1/ingest/heat", handle_ingest_heat, AUTH_DEVICE, json_body, false, WORK_UPLOAD},
    {"POST", "/v1/ingest/ttn", handle_ingest_ttn, AUTH_PUBLIC, json_body, false, WORK_UPLOAD},
    {"POST", "/v1/projects/{slug}/webhook-secret", handle_webhook_secret, AUTH_ADMIN, NULL, false,
     WORK_ADMIN},
    {"POST", "/v1/ingest/experience", handle_ingest_experience, AUTH_DEVICE, json_body, false,
     WORK_UPLOAD},
    {"GET", "/v1/quantities", handle_quantity_list, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/aggregates", handle_aggregates, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/datasets/{slug}", handle_dataset, AUTH_PUBLIC, NULL, false, WORK_DOWNLOAD},
    {"GET", "/v1/datasets/{slug}/readings", handle_dataset_readings, AUTH_RESEARCHER, NULL, false,
     WORK_DOWNLOAD},
    {"POST", "/v1/projects/{slug}/erasures", handle_erasure, AUTH_ADMIN, json_body, false,
     WORK_ADMIN},
    {"POST", "/v1/researchers", handle_researcher_create, AUTH_ADMIN, json_body, false, WORK_ADMIN},
    {"GET", "/v1/researchers", handle_researcher_list, AUTH_ADMIN, NULL, false, WORK_ADMIN},
    {"POST", "/v1/researchers/{id}/revoke", handle_researcher_revoke, AUTH_ADMIN, NULL, false,
     WORK_ADMIN},
    {"GET", "/v1/audit/downloads", handle_download_audit, AUTH_ADMIN, NULL, false, WORK_ADMIN},
    {"POST", "/v1/areas/{layer}", handle_area_upload, AUTH_ADMIN, json_body, false, WORK_ADMIN},
    {"DELETE", "/v1/areas/{layer}", handle_area_delete, AUTH_ADMIN, NULL, false, WORK_ADMIN},
    {"GET", "/v1/heat/stations", handle_station_list, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/heat/stations/{id}", handle_station_series, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/latest", handle_latest, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/coverage", handle_coverage, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/exceedances", handle_exceedances, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/traffic/segments", handle_segment_list, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/traffic/segments/{id}", handle_segment_series, AUTH_PUBLIC, NULL, false,
     WORK_OPEN},
    {"GET", "/v1/areas", handle_area_list, AUTH_PUBLIC, NULL, false, WORK_OPEN},
    {"GET", "/v1/areas/{layer}", handle_area_get, AUTH_PUBLIC, NULL, false, WORK_OPEN},

    /* The dashboard and the API docs (handlers_web.c). */
    {"GET", "/", handle_dashboard, AUTH_PUBLIC, NULL, false, WORK_EVENT},
    {"GET", "/docs", handle_docs, AUTH_PUBLIC, NULL, false, WORK_EVENT},
    {"GET", "/assets/{file}", handle_asset, AUTH_PUBLIC, NULL, false, WORK_EVENT},
    {"GET", "/vendor/{file}", handle_vendor, AUTH_PUBLIC, NULL, false, WORK_EVENT},
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
