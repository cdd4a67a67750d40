#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include "lazylib_crypto.h"
#include <stdio.h>
#include <unistd.h>

static void to_hex(const unsigned char *md, unsigned int n, char out[DIGEST_HEX_LEN])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < n && i < 32; i++) {
        out[2 * (size_t)i] = hex[md[i] >> 4];
        out[2 * (size_t)i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    to_hex(md, n, out);
}

int digest_sha256_file_hex(const char *path, char out[DIGEST_HEX_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    unsigned char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    int saved = errno;
    close(fd);
    if (n < 0) {
        EVP_MD_CTX_free(ctx);
        errno = saved;
        return -1;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    to_hex(md, len, out);
    return 0;
}
