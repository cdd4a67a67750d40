/* digest.h: SHA-256 of files and buffers (OpenSSL's libcrypto), as lowercase hex. */
#ifndef GRADER_DIGEST_H
#define GRADER_DIGEST_H
#include <stddef.h>

#define DIGEST_HEX_LEN 65 /* 64 hex digits and a NUL */

void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN]);
/* Returns 0, or -1 with errno set when the file cannot be read. */
int digest_sha256_file_hex(const char *path, char out[DIGEST_HEX_LEN]);
#endif
