/* lazylib_crypto.h: the libcrypto functions grader calls, through lazylib.h (read there why).
 * A function missing here is linked directly and the build fails at
 * link time: add it. */
#ifndef GRADER_LAZYLIB_CRYPTO_H
#define GRADER_LAZYLIB_CRYPTO_H
#include <openssl/evp.h>

#include "lazylib.h"

#define EVP_Digest LAZYLIB_FN(LAZYLIB_CRYPTO, EVP_Digest)
#define EVP_DigestFinal_ex LAZYLIB_FN(LAZYLIB_CRYPTO, EVP_DigestFinal_ex)
#define EVP_DigestInit_ex LAZYLIB_FN(LAZYLIB_CRYPTO, EVP_DigestInit_ex)
#define EVP_DigestUpdate LAZYLIB_FN(LAZYLIB_CRYPTO, EVP_DigestUpdate)
#define EVP_MD_CTX_free LAZYLIB_FN(LAZYLIB_CRYPTO, EVP_MD_CTX_free)
#define EVP_MD_CTX_new LAZYLIB_FN(LAZYLIB_CRYPTO, EVP_MD_CTX_new)
#define EVP_sha256 LAZYLIB_FN(LAZYLIB_CRYPTO, EVP_sha256)
#endif
