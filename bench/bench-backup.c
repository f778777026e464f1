/* bench-backup.c: upshift's side of bench/backup.sh.
 *
 *     bench-backup backup [--total BYTES] DIR DEST_DIR NAME [COMPRESSION [LEVEL]]
 *         archive_backup() of DIR into DEST_DIR/NAME, as the backup step
 *         makes it (its SHA-256 left to verify); prints
 *         "<archive size> <data bytes>". With --total, the progress total
 *         is BYTES, as the step has it from its space check (the raw bytes
 *         "estimate" prints); without, it is measured meanwhile.
 *     bench-backup verify ARCHIVE
 *         archive_verify_sum() of it; prints the archive's SHA-256
 *     bench-backup estimate DIR [COMPRESSION [LEVEL]]
 *         archive_estimate(); prints "<raw bytes> <estimated size>"
 *     bench-backup partial DIR DEST_DIR NAME
 *         a partial backup (select) of DIR taking one file in 64 (by inode
 *         number), as the delta of a cold backup takes the few files that
 *         changed; prints what backup prints. For strace -c and callgrind.
 *
 * The script times each call from outside, the same way it times tar.
 */
#include <config.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/archive.h"
#include "lib/diag.h"

static bool
one_in_64(void *ud, const char *member, const struct stat *st)
{
        (void)ud;
        (void)member;
        return st->st_ino % 64 == 0;
}

/* The product always follows a backup's progress: so does the bench. */
static void
no_progress(void *ud, uint64_t done, uint64_t total)
{
        (void)ud;
        (void)done;
        (void)total;
}

static int
fail(const struct diag *d)
{
        fprintf(stderr, "bench-backup: %s\n", d->msg);
        return 1;
}

int
main(int argc, char **argv)
{
        struct diag d = {0};
        uint64_t total = 0;

        if (argc >= 4 && strcmp(argv[1], "backup") == 0 && strcmp(argv[2], "--total") == 0) {
                total = strtoull(argv[3], NULL, 10);
                argv[3] = argv[1];      /* "backup" DIR ... */
                argv += 2;
                argc -= 2;
        }
        if (argc >= 5 && (strcmp(argv[1], "backup") == 0 || strcmp(argv[1], "partial") == 0)) {
                bool partial = strcmp(argv[1], "partial") == 0;
                struct backup_opts o = {
                        .compression = argc > 5 && !partial ? argv[5] : NULL,
                        .level = argc > 6 && !partial ? atoi(argv[6]) : 0,
                        .sha256_later = true,
                        .select = partial ? one_in_64 : NULL,
                        .progress = no_progress,
                        .total = total,
                };
                struct backup_result res = {0};
                char *paths[] = { argv[2] };

                if (archive_backup(paths, 1, argv[3], argv[4], &o, &res, &d) < 0)
                        return fail(&d);
                printf("%" PRIu64 " %" PRIu64 "\n", res.size, res.bytes_in);
                backup_result_release(&res);
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "verify") == 0) {
                char sum[SHA256_HEX_LEN + 1];

                if (archive_verify_sum(argv[2], NULL, sum, NULL, NULL, &d) < 0)
                        return fail(&d);
                printf("%s\n", sum);
                return 0;
        }
        if (argc >= 3 && strcmp(argv[1], "estimate") == 0) {
                struct backup_opts o = {
                        .compression = argc > 3 ? argv[3] : NULL,
                        .level = argc > 4 ? atoi(argv[4]) : 0,
                };
                char *paths[] = { argv[2] };
                uint64_t raw, est;

                if (archive_estimate(paths, 1, &o, &raw, &est, &d) < 0)
                        return fail(&d);
                printf("%" PRIu64 " %" PRIu64 "\n", raw, est);
                return 0;
        }
        fprintf(stderr, "usage: bench-backup backup [--total BYTES] DIR DEST_DIR NAME "
                        "[COMPRESSION [LEVEL]]\n"
                        "       bench-backup verify ARCHIVE\n"
                        "       bench-backup estimate DIR [COMPRESSION [LEVEL]]\n"
                        "       bench-backup partial DIR DEST_DIR NAME\n");
        return 2;
}
