/* One result type for the whole server. Fallible functions return it and are
 * marked must-check; outputs travel through pointer parameters. */
#ifndef SAMENMETEN_ERR_H
#define SAMENMETEN_ERR_H

#define MUST_CHECK __attribute__((warn_unused_result))

typedef enum {
	SM_OK = 0,
	SM_ERR_NOMEM,       /* allocation failed */
	SM_ERR_INVALID,     /* the caller's input is wrong */
	SM_ERR_NOT_FOUND,   /* the thing asked for does not exist */
	SM_ERR_CONFLICT,    /* it exists already */
	SM_ERR_TOO_LARGE,   /* a limit was exceeded */
	SM_ERR_UNAVAILABLE, /* a dependency (the database) cannot be reached now */
	SM_ERR_TIMEOUT,     /* it ran past its time limit */
	SM_ERR_IO,          /* a file or socket operation failed */
	SM_ERR_INTERNAL,    /* a bug, or a failure nobody can act on */
} sm_err;

/* A short lower-case description of an error code, for logs. */
const char *sm_err_str(sm_err e);

#endif
