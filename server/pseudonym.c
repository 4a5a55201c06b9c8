#include "pseudonym.h"

#include "secretfile.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KEY_HEX_LEN (2 * crypto_kdf_KEYBYTES)

struct keys {
	uint8_t sub[PSEUDO_KIND_MAX][crypto_generichash_KEYBYTES];
};

static struct keys *keys; /* sodium_malloc'ed, read-only once derived */

static sm_err create_key_file(const char *path, char *errbuf, size_t errlen)
{
	uint8_t key[crypto_kdf_KEYBYTES];
	char hex[KEY_HEX_LEN + 1];
	crypto_kdf_keygen(key);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	sm_err e = secretfile_create(path, hex, "key file", errbuf, errlen);
	sodium_memzero(hex, sizeof(hex));
	return e;
}

static sm_err read_key_file(const char *path, uint8_t *master, char *errbuf, size_t errlen)
{
	char hex[KEY_HEX_LEN + 8];
	sm_err e = secretfile_read(path, hex, sizeof(hex), "key file", errbuf, errlen);
	if (e != SM_OK)
		return e;
	size_t bin_len = 0;
	const char *end = NULL;
	if (strlen(hex) != KEY_HEX_LEN ||
	    sodium_hex2bin(master, crypto_kdf_KEYBYTES, hex, KEY_HEX_LEN, NULL, &bin_len, &end) !=
	        0 ||
	    bin_len != crypto_kdf_KEYBYTES) {
		snprintf(errbuf, errlen, "key file \"%s\" must hold exactly %d hex digits", path,
		         KEY_HEX_LEN);
		e = SM_ERR_INVALID;
	}
	sodium_memzero(hex, sizeof(hex));
	return e;
}

sm_err pseudonym_keys_load(const char *path, bool *created, char *errbuf, size_t errlen)
{
	*created = false;
	sm_err e;
	if (access(path, F_OK) != 0) {
		e = create_key_file(path, errbuf, errlen);
		if (e != SM_OK)
			return e;
		*created = true;
	}
	uint8_t *master = sodium_malloc(crypto_kdf_KEYBYTES);
	struct keys *k = sodium_malloc(sizeof(*k));
	if (!master || !k) {
		e = SM_ERR_NOMEM;
		goto fail;
	}
	e = read_key_file(path, master, errbuf, errlen);
	if (e != SM_OK)
		goto fail;
	for (int kind = 1; kind < PSEUDO_KIND_MAX; kind++)
		crypto_kdf_derive_from_key(k->sub[kind], sizeof(k->sub[kind]), (uint64_t)kind,
		                           "smu-pseu", master);
	sodium_free(master);
	sodium_mprotect_readonly(k);
	pseudonym_keys_cleanup();
	keys = k;
	return SM_OK;
fail:
	sodium_free(master);
	sodium_free(k);
	return e;
}

void pseudonym_keys_cleanup(void)
{
	if (keys) {
		sodium_mprotect_readwrite(keys);
		sodium_free(keys); /* wipes */
		keys = NULL;
	}
}

void pseudonym_hash(enum pseudonym_kind kind, const void *id, size_t len,
                    uint8_t out[PSEUDONYM_BYTES])
{
	crypto_generichash(out, PSEUDONYM_BYTES, id, len, keys->sub[kind], sizeof(keys->sub[kind]));
}

void pseudonym_mac(enum pseudonym_kind kind, const void *msg, size_t len,
                   uint8_t out[PSEUDONYM_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, keys->sub[kind], sizeof(keys->sub[kind]));
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void pseudonym_hex(enum pseudonym_kind kind, const void *id, size_t len,
                   char out[PSEUDONYM_HEX_BYTES])
{
	uint8_t h[PSEUDONYM_BYTES];
	pseudonym_hash(kind, id, len, h);
	sodium_bin2hex(out, PSEUDONYM_HEX_BYTES, h, sizeof(h));
}

void token_generate(const char prefix[4], char out[TOKEN_STRLEN])
{
	uint8_t raw[32];
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, prefix, 4);
	sodium_bin2base64(out + 4, TOKEN_STRLEN - 4, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

bool pseudonym_equal(const uint8_t a[PSEUDONYM_BYTES], const uint8_t b[PSEUDONYM_BYTES])
{
	return sodium_memcmp(a, b, PSEUDONYM_BYTES) == 0;
}
