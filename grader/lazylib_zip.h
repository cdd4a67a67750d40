/* lazylib_zip.h: the libzip functions grader calls, through lazylib.h (read there why).
 * A function missing here is linked directly and the build fails at
 * link time: add it. */
#ifndef GRADER_LAZYLIB_ZIP_H
#define GRADER_LAZYLIB_ZIP_H
#include <zip.h>

#include "lazylib.h"

#define zip_close LAZYLIB_FN(LAZYLIB_ZIP, zip_close)
#define zip_discard LAZYLIB_FN(LAZYLIB_ZIP, zip_discard)
#define zip_error_fini LAZYLIB_FN(LAZYLIB_ZIP, zip_error_fini)
#define zip_error_init_with_code LAZYLIB_FN(LAZYLIB_ZIP, zip_error_init_with_code)
#define zip_error_strerror LAZYLIB_FN(LAZYLIB_ZIP, zip_error_strerror)
#define zip_file_add LAZYLIB_FN(LAZYLIB_ZIP, zip_file_add)
#define zip_file_set_external_attributes LAZYLIB_FN(LAZYLIB_ZIP, zip_file_set_external_attributes)
#define zip_file_set_mtime LAZYLIB_FN(LAZYLIB_ZIP, zip_file_set_mtime)
#define zip_open LAZYLIB_FN(LAZYLIB_ZIP, zip_open)
#define zip_source_buffer LAZYLIB_FN(LAZYLIB_ZIP, zip_source_buffer)
#define zip_source_free LAZYLIB_FN(LAZYLIB_ZIP, zip_source_free)
#define zip_strerror LAZYLIB_FN(LAZYLIB_ZIP, zip_strerror)
#endif
