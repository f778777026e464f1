/* bench-backup.c: upshift's side of bench/backup.sh.
 *
 *     bench-backup backup DIR DEST_DIR NAME [COMPRESSION [LEVEL]]
 *         archive_backup() of DIR into DEST_DIR/NAME; prints
 *         "<archive sha256> <archive size> <data bytes>"
 *     bench-backup verify ARCHIVE SHA256
 *         archive_verify() of it against SHA256
 *     bench-backup estimate DIR [COMPRESSION [LEVEL]]
 *         archive_estimate(); prints "<raw bytes> <estimated size>"
 *
 * The script times each call from outside, the same way it times tar.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/archive.h"
#include "lib/diag.h"

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

        if (argc >= 5 && strcmp(argv[1], "backup") == 0) {
                struct backup_opts o = {
                        .compression = argc > 5 ? argv[5] : NULL,
                        .level = argc > 6 ? atoi(argv[6]) : 0,
                };
                struct backup_result res = {0};
                char *paths[] = { argv[2] };

                if (archive_backup(paths, 1, argv[3], argv[4], &o, &res, &d) < 0)
                        return fail(&d);
                printf("%s %" PRIu64 " %" PRIu64 "\n", res.sha256, res.size, res.bytes_in);
                backup_result_release(&res);
                return 0;
        }
        if (argc == 4 && strcmp(argv[1], "verify") == 0)
                return archive_verify(argv[2], argv[3], NULL, NULL, &d) < 0 ? fail(&d) : 0;
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
        fprintf(stderr, "usage: bench-backup backup DIR DEST_DIR NAME [COMPRESSION [LEVEL]]\n"
                        "       bench-backup verify ARCHIVE SHA256\n"
                        "       bench-backup estimate DIR [COMPRESSION [LEVEL]]\n");
        return 2;
}
