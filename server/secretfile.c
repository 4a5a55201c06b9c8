#include "secretfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p of the folder that holds `path`. */
static sm_err make_parents(const char *path)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return SM_ERR_INVALID;
	for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return SM_ERR_IO;
		*p = '/';
	}
	return SM_OK;
}

sm_err secretfile_create(const char *path, const char *text, const char *what, char *errbuf,
                         size_t errlen)
{
	if (make_parents(path) != SM_OK) {
		snprintf(errbuf, errlen, "could not create the folder for %s \"%s\": %s", what,
		         path, strerror(errno));
		return SM_ERR_IO;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(errbuf, errlen, "could not create %s \"%s\": %s", what, path,
		         strerror(errno));
		return SM_ERR_IO;
	}
	size_t n = strlen(text);
	sm_err e = SM_OK;
	if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		snprintf(errbuf, errlen, "could not write %s \"%s\": %s", what, path,
		         strerror(errno));
		unlink(path);
		e = SM_ERR_IO;
	}
	close(fd);
	return e;
}

sm_err secretfile_read(const char *path, char *out, size_t outlen, const char *what, char *errbuf,
                       size_t errlen)
{
	sm_err e = SM_ERR_INVALID;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(errbuf, errlen, "could not open %s \"%s\": %s", what, path,
		         strerror(errno));
		return SM_ERR_IO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(errbuf, errlen,
		         "%s \"%s\" can be read by others; make it private with chmod 600", what,
		         path);
		goto out;
	}
	ssize_t n = read(fd, out, outlen - 1);
	if (n < 0) {
		snprintf(errbuf, errlen, "could not read %s \"%s\": %s", what, path,
		         strerror(errno));
		e = SM_ERR_IO;
		goto out;
	}
	out[n] = '\0';
	size_t line = strcspn(out, "\r\n");
	if (out[line] == '\0' && (size_t)n == outlen - 1) {
		snprintf(errbuf, errlen, "%s \"%s\" is longer than expected", what, path);
		sodium_memzero(out, outlen);
		goto out;
	}
	out[line] = '\0';
	e = SM_OK;
out:
	close(fd);
	return e;
}
