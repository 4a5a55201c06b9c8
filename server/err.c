#include "err.h"

const char *sm_err_str(sm_err e)
{
	switch (e) {
	case SM_OK: return "ok";
	case SM_ERR_NOMEM: return "out of memory";
	case SM_ERR_INVALID: return "invalid input";
	case SM_ERR_NOT_FOUND: return "not found";
	case SM_ERR_CONFLICT: return "conflict";
	case SM_ERR_TOO_LARGE: return "too large";
	case SM_ERR_UNAVAILABLE: return "unavailable";
	case SM_ERR_TIMEOUT: return "timed out";
	case SM_ERR_IO: return "i/o error";
	case SM_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}
