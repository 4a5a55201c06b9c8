/* The server's routing table: every endpoint, its handler, who may call it
 * and the body it takes. api/openapi.yaml describes the same set; a test
 * checks that they agree. */
#ifndef SAMENMETEN_ROUTES_H
#define SAMENMETEN_ROUTES_H

#include "router.h"

extern const struct route routes[];
extern const size_t nroutes;

#endif
