/* rx.c: PCRE2 regular expressions, 8-bit, no UTF, multiline. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/i18n.h"
#include "lib/rx.h"
#include "lib/util.h"

struct rx {
        pcre2_code *code;
        uint32_t    ngroups;
};

int
rx_compile(const char *pattern, struct rx **ret, size_t *ret_offset, struct diag *d)
{
        PCRE2_UCHAR msg[256];
        PCRE2_SIZE off = 0;
        struct rx *r;
        pcre2_code *code;
        uint32_t ngroups = 0;
        int err = 0;

        code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                             PCRE2_MULTILINE, &err, &off, NULL);
        if (code == NULL) {
                if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
                        strcpy((char *)msg, "unknown error");
                /* TRANSLATORS: %1$s is the pattern, %2$s the PCRE2 error
                 * message, %3$zu the character offset of the error. */
                diag_set(d, _("bad regular expression \"%s\": %s at offset %zu"),
                         pattern, (const char *)msg, (size_t)off);
                if (ret_offset != NULL)
                        *ret_offset = (size_t)off;
                return -EINVAL;
        }
        pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &ngroups);
        r = xmalloc(sizeof *r);
        r->code = code;
        r->ngroups = ngroups;
        *ret = r;
        return 0;
}

void
rx_free(struct rx *r)
{
        if (r == NULL)
                return;
        pcre2_code_free(r->code);
        free(r);
}

int
rx_search(const struct rx *r, const char *subject, size_t len, char **ret_value)
{
        pcre2_match_data *md;
        PCRE2_SIZE *ov;
        size_t start, end;
        int rc;

        md = pcre2_match_data_create_from_pattern(r->code, NULL);
        if (md == NULL)
                return -ENOMEM;
        rc = pcre2_match(r->code, (PCRE2_SPTR)(subject != NULL ? subject : ""),
                         subject != NULL ? len : 0, 0, 0, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) {
                pcre2_match_data_free(md);
                return 0;
        }
        if (rc < 0) {
                pcre2_match_data_free(md);
                return rc == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -EINVAL;
        }
        if (ret_value != NULL) {
                ov = pcre2_get_ovector_pointer(md);
                /* rc == 0 means the ovector was too small: cannot happen
                 * with match data sized from the pattern. */
                if (r->ngroups > 0 && rc > 1 && ov[2] != PCRE2_UNSET) {
                        start = ov[2];
                        end = ov[3];
                } else {
                        start = ov[0];
                        end = ov[1];
                }
                if (end < start)        /* \K can do this */
                        end = start;
                *ret_value = xstrndup(subject + start, end - start);
        }
        pcre2_match_data_free(md);
        return 1;
}

int
rx_match_once(const char *pattern, const char *subject, char **ret_value,
              struct diag *d)
{
        struct rx *r;
        int rc;

        rc = rx_compile(pattern, &r, NULL, d);
        if (rc < 0)
                return rc;
        rc = rx_search(r, subject, subject != NULL ? strlen(subject) : 0, ret_value);
        rx_free(r);
        return rc;
}
