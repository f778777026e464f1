/* archive_lib.h: libarchive's own headers.
 *
 * src/archive.h (our backup contract) shadows libarchive's <archive.h> on the
 * "-I src" include path. Include this file with angle brackets
 * (#include <archive_lib.h>) so that it is found through that same path;
 * #include_next then continues the search after src/ and reaches libarchive.
 */
#ifndef UPSHIFT_ARCHIVE_LIB_H
#define UPSHIFT_ARCHIVE_LIB_H

#include_next <archive.h>
#include <archive_entry.h>

#ifndef ARCHIVE_H_INCLUDED
#error "libarchive's archive.h was not found behind src/archive.h"
#endif

#endif
