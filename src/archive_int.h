/* archive_int.h: what archive.c (writing) and archive_read.c (verify,
 * restore) share. Not a public contract. */
#ifndef UPSHIFT_ARCHIVE_INT_H
#define UPSHIFT_ARCHIVE_INT_H

#include <stddef.h>

#include "sha256.h"
#include "util.h"

/* Append one sha256sum(1) line for member to sb. A name holding a newline or
 * a backslash is written the way sha256sum does: the line starts with "\"
 * and the name has "\\" and "\n" escapes. */
void manifest_add_line(struct strbuf *sb, const char *hex, const char *member);

/* One parsed manifest line. */
struct manifest_line {
        char *name;
        char  hex[SHA256_HEX_LEN + 1];
};

/* Parse a manifest (len bytes, need not be NUL-terminated). Returns 0, or
 * -EBADMSG with the 1-based number of the bad line in *ret_bad_line.
 * On success *ret_lines (caller frees with manifest_lines_free) and *ret_n. */
int  manifest_parse(const char *buf, size_t len, struct manifest_line **ret_lines,
                    size_t *ret_n, size_t *ret_bad_line);
void manifest_lines_free(struct manifest_line *v, size_t n);

#endif
