/* Unit tests for server/pseudonym.c: the key file, keyed hashes with one
 * subkey per kind, tokens and constant-time comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pseudonym.h"
#include "unit.h"

/* A temporary folder for key files, made once for the group. */
static char dir[] = "/tmp/samenmeten-pseudonym-XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_teardown(void **state)
{
	(void)state;
	pseudonym_keys_cleanup();
	return nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Every test ends with no keys loaded. */
static int teardown_keys(void **state)
{
	(void)state;
	pseudonym_keys_cleanup();
	return 0;
}

static void key_path(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", dir, name);
}

/* Writes a key file with exactly `mode`, whatever the umask. */
static void write_key_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	size_t len = strlen(content);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void load_ok(const char *path, bool want_created)
{
	char err[256] = "";
	bool created = !want_created;
	sm_err e = pseudonym_keys_load(path, &created, err, sizeof(err));
	if (e != SM_OK)
		fail_msg("pseudonym_keys_load(%s): %s", path, err);
	assert_int_equal(created, want_created);
}

static const char imei[] = "860000000000001";

/* The first load creates a private key file of 64 hex digits; later loads
 * read it and give the same pseudonyms. */
static void test_create_and_reload(void **state)
{
	(void)state;
	char path[256];
	key_path(path, sizeof(path), "created.key");

	load_ok(path, true);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 65);
	char text[80] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_int_equal(strlen(text), 65);
	assert_int_equal(strspn(text, "0123456789abcdef"), 64);
	assert_int_equal(text[64], '\n');

	uint8_t first[PSEUDONYM_BYTES], again[PSEUDONYM_BYTES];
	pseudonym_hash(PSEUDO_EXTERNAL_ID, imei, strlen(imei), first);

	load_ok(path, false); /* replaces the loaded keys */
	pseudonym_hash(PSEUDO_EXTERNAL_ID, imei, strlen(imei), again);
	assert_memory_equal(first, again, PSEUDONYM_BYTES);

	pseudonym_keys_cleanup();
	load_ok(path, false);
	pseudonym_hash(PSEUDO_EXTERNAL_ID, imei, strlen(imei), again);
	assert_memory_equal(first, again, PSEUDONYM_BYTES);
}

/* Pseudonyms are stored: a known key must give these exact values in every
 * version of the server, or stored data can no longer be matched. */
static void test_known_vectors(void **state)
{
	static const struct {
		enum pseudonym_kind kind;
		const char *want;
	} cases[] = {
	    {PSEUDO_EXTERNAL_ID,
	     "eb433ec8240e32e1a2f04ab6461c28dc00419991e6b5a1cdad54956b8286c090"},
	    {PSEUDO_PARTICIPANT,
	     "4698104e2bfe0378f5135eef01a56e2d5fd5de4c248217b551fb91d0a62a2d69"},
	    {PSEUDO_TOKEN, "7b9750ca3ddfc79d9e3e2082a58fa7b0e660cec88172debef540c74fb73c808d"},
	    {PSEUDO_TTN_DEVICE, "fcfb6edae7fffeca3bf8c1e5ee103c11f92e01c5736329d053653f9a5fff061f"},
	    {PSEUDO_PUBLICATION,
	     "320fdc1808c993ab01a91d72d35c75bd8339e23fa4b6595647359a30d898278f"},
	};
	(void)state;
	char path[256];
	key_path(path, sizeof(path), "known.key");
	write_key_file(path, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
	               0600);
	load_ok(path, false);
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char hex[PSEUDONYM_HEX_BYTES];
		memset(hex, 'Z', sizeof(hex));
		pseudonym_hex(cases[i].kind, imei, strlen(imei), hex);
		EXPECT_STR(run, cases[i].want, hex, cases[i].want);
	}
	TABLE_DONE(run);
}

/* Each kind has its own subkey: one text hashed as each kind gives five
 * different pseudonyms. */
static void test_domain_separation(void **state)
{
	(void)state;
	char path[256];
	key_path(path, sizeof(path), "domains.key");
	load_ok(path, true);
	uint8_t h[PSEUDO_KIND_MAX][PSEUDONYM_BYTES];
	for (int k = 1; k < PSEUDO_KIND_MAX; k++)
		pseudonym_hash((enum pseudonym_kind)k, imei, strlen(imei), h[k]);
	for (int a = 1; a < PSEUDO_KIND_MAX; a++)
		for (int b = a + 1; b < PSEUDO_KIND_MAX; b++)
			if (pseudonym_equal(h[a], h[b]))
				fail_msg("kinds %d and %d give the same pseudonym", a, b);
}

/* Only `len` bytes count, and every byte counts. */
static void test_input_bytes(void **state)
{
	(void)state;
	char path[256];
	key_path(path, sizeof(path), "input.key");
	load_ok(path, true);
	uint8_t a[PSEUDONYM_BYTES], b[PSEUDONYM_BYTES];
	pseudonym_hash(PSEUDO_EXTERNAL_ID, "ab", 2, a);
	pseudonym_hash(PSEUDO_EXTERNAL_ID, "abc", 2, b);
	assert_true(pseudonym_equal(a, b));
	pseudonym_hash(PSEUDO_EXTERNAL_ID, "abc", 3, b);
	assert_false(pseudonym_equal(a, b));
	pseudonym_hash(PSEUDO_EXTERNAL_ID, "aB", 2, b);
	assert_false(pseudonym_equal(a, b));
	pseudonym_hash(PSEUDO_EXTERNAL_ID, "", 0, b);
	assert_false(pseudonym_equal(a, b));

	/* The hex form is the hash in lower-case hex. */
	char hex[PSEUDONYM_HEX_BYTES], want[PSEUDONYM_HEX_BYTES];
	pseudonym_hex(PSEUDO_EXTERNAL_ID, "ab", 2, hex);
	sodium_bin2hex(want, sizeof(want), a, sizeof(a));
	assert_string_equal(hex, want);
}

/* Two key files give unrelated pseudonyms for the same text. */
static void test_different_keys(void **state)
{
	(void)state;
	char one[256], two[256];
	key_path(one, sizeof(one), "one.key");
	key_path(two, sizeof(two), "two.key");
	uint8_t a[PSEUDONYM_BYTES], b[PSEUDONYM_BYTES];
	load_ok(one, true);
	pseudonym_hash(PSEUDO_PARTICIPANT, imei, strlen(imei), a);
	load_ok(two, true);
	pseudonym_hash(PSEUDO_PARTICIPANT, imei, strlen(imei), b);
	assert_false(pseudonym_equal(a, b));
}

/* Key files that must be refused, each with a message saying why. */
static void test_bad_key_files(void **state)
{
	static const char good[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	static const struct {
		const char *name;
		const char *content;
		mode_t mode;
		sm_err want;
		const char *want_msg;
	} cases[] = {
	    {"readable by all", good, 0644, SM_ERR_INVALID, "chmod 600"},
	    {"readable by group", good, 0640, SM_ERR_INVALID, "chmod 600"},
	    {"writable by others", good, 0602, SM_ERR_INVALID, "chmod 600"},
	    {"empty", "", 0600, SM_ERR_INVALID, "64 hex digits"},
	    {"short", "abcd\n", 0600, SM_ERR_INVALID, "64 hex digits"},
	    {"newline first",
	     "\n000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600,
	     SM_ERR_INVALID, "64 hex digits"},
	    {"63 hex digits", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n",
	     0600, SM_ERR_INVALID, "64 hex digits"},
	    {"garbage", "this is not a key, it is a sentence that is long enough to read\n", 0600,
	     SM_ERR_INVALID, "64 hex digits"},
	    {"66 hex digits",
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n", 0600,
	     SM_ERR_INVALID, "64 hex digits"},
	    {"hex on a very long line",
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
	     0600, SM_ERR_INVALID, "longer than expected"},
	    {"non-hex of the right length",
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n", 0600,
	     SM_ERR_INVALID, "64 hex digits"},
	    {"space inside", "00010203040506070809 0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
	     0600, SM_ERR_INVALID, "64 hex digits"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char path[256], err[256] = "";
		key_path(path, sizeof(path), "bad.key");
		write_key_file(path, cases[i].content, cases[i].mode);
		bool created = true;
		sm_err e = pseudonym_keys_load(path, &created, err, sizeof(err));
		unlink(path);
		EXPECT(run, cases[i].name, e == cases[i].want);
		EXPECT(run, cases[i].name, !created);
		EXPECT_HAS(run, cases[i].name, err, cases[i].want_msg);
		EXPECT_HAS(run, cases[i].name, err, path);
		pseudonym_keys_cleanup();
	}
	TABLE_DONE(run);
}

/* Key files that are fine: owner-only modes, no final newline, CRLF. */
static void test_good_key_files(void **state)
{
	static const struct {
		const char *name;
		const char *content;
		mode_t mode;
	} cases[] = {
	    {"mode 0600", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
	     0600},
	    {"mode 0400", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
	     0400},
	    {"no newline", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	     0600},
	    {"crlf", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\r\n", 0600},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char path[256], err[256] = "";
		key_path(path, sizeof(path), "good.key");
		write_key_file(path, cases[i].content, cases[i].mode);
		bool created = true;
		sm_err e = pseudonym_keys_load(path, &created, err, sizeof(err));
		unlink(path);
		if (e != SM_OK)
			print_error("case \"%s\": %s\n", cases[i].name, err);
		EXPECT(run, cases[i].name, e == SM_OK);
		EXPECT(run, cases[i].name, !created);
		pseudonym_keys_cleanup();
	}
	TABLE_DONE(run);
}

static void assert_mode(const char *path, mode_t want)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 07777) != want)
		fail_msg("%s has mode %04o, want %04o", path, (unsigned)(st.st_mode & 07777),
		         (unsigned)want);
}

/* Missing folders above a new key file are made, private to the owner. */
static void test_creates_folders(void **state)
{
	(void)state;
	char path[256], sub[256], deeper[256];
	key_path(sub, sizeof(sub), "var");
	key_path(deeper, sizeof(deeper), "var/keys");
	key_path(path, sizeof(path), "var/keys/pseudonym.key");
	load_ok(path, true);
	assert_mode(sub, 0700);
	assert_mode(deeper, 0700);
	assert_mode(path, 0600);
}

/* A key file that cannot be created (its "folder" is a file) is an I/O
 * error naming it, and no keys are loaded. */
static void test_cannot_create(void **state)
{
	(void)state;
	char file[256], path[256], err[256] = "";
	key_path(file, sizeof(file), "plain-file");
	write_key_file(file, "not a folder\n", 0600);
	key_path(path, sizeof(path), "plain-file/x.key");
	bool created = true;
	assert_int_equal(pseudonym_keys_load(path, &created, err, sizeof(err)), SM_ERR_IO);
	assert_false(created);
	assert_non_null(strstr(err, path));
}

static bool base64url_only(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	       strlen(s);
}

/* Tokens: the prefix and 43 base64url characters (32 random bytes). */
static void test_tokens(void **state)
{
	static const char *const prefixes[] = {"smd_", "sma_"};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(prefixes); i++) {
		char a[TOKEN_STRLEN], b[TOKEN_STRLEN];
		memset(a, 'Z', sizeof(a));
		token_generate(prefixes[i], a);
		token_generate(prefixes[i], b);
		EXPECT(run, prefixes[i], memchr(a, '\0', sizeof(a)) == a + 47);
		EXPECT(run, prefixes[i], strncmp(a, prefixes[i], 4) == 0);
		EXPECT(run, prefixes[i], base64url_only(a + 4));
		EXPECT(run, prefixes[i], strcmp(a, b) != 0);
		/* 43 characters decode to the 32 random bytes. */
		uint8_t raw[64];
		size_t rawlen = 0;
		EXPECT(run, prefixes[i],
		       sodium_base642bin(raw, sizeof(raw), a + 4, 43, NULL, &rawlen, NULL,
		                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
		           rawlen == 32);
	}
	TABLE_DONE(run);
}

/* pseudonym_equal compares all 32 bytes. */
static void test_equal(void **state)
{
	(void)state;
	uint8_t a[PSEUDONYM_BYTES], b[PSEUDONYM_BYTES];
	for (size_t i = 0; i < PSEUDONYM_BYTES; i++)
		a[i] = (uint8_t)(i * 7 + 1);
	memcpy(b, a, sizeof(a));
	assert_true(pseudonym_equal(a, b));
	size_t positions[] = {0, 1, 15, 30, 31};
	for (size_t i = 0; i < NELEMS(positions); i++) {
		memcpy(b, a, sizeof(a));
		b[positions[i]] ^= 0x01;
		if (pseudonym_equal(a, b))
			fail_msg("a difference at byte %zu is missed", positions[i]);
	}
}

/* cleanup twice, and without any keys loaded, is harmless. */
static void test_cleanup_twice(void **state)
{
	(void)state;
	char path[256];
	key_path(path, sizeof(path), "cleanup.key");
	load_ok(path, true);
	pseudonym_keys_cleanup();
	pseudonym_keys_cleanup();
	load_ok(path, false); /* loading works again after cleanup */
	pseudonym_keys_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_create_and_reload, teardown_keys),
	    cmocka_unit_test_teardown(test_known_vectors, teardown_keys),
	    cmocka_unit_test_teardown(test_domain_separation, teardown_keys),
	    cmocka_unit_test_teardown(test_input_bytes, teardown_keys),
	    cmocka_unit_test_teardown(test_different_keys, teardown_keys),
	    cmocka_unit_test_teardown(test_bad_key_files, teardown_keys),
	    cmocka_unit_test_teardown(test_good_key_files, teardown_keys),
	    cmocka_unit_test_teardown(test_creates_folders, teardown_keys),
	    cmocka_unit_test_teardown(test_cannot_create, teardown_keys),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_equal),
	    cmocka_unit_test_teardown(test_cleanup_twice, teardown_keys),
	};
	return cmocka_run_group_tests_name("pseudonym", tests, group_setup, group_teardown);
}
