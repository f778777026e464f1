/* gen-tree.c: write a deterministic tree that looks like a database's data
 * directory, for bench/backup.sh.
 *
 *     gen-tree DIR [MIB]
 *     gen-tree --small DIR FILES
 *
 * DIR must not exist. About MIB mebibytes (default 1024) are written:
 *   - DIR/base/<db>/<relfile>: 5,000 files of 1 to 64 KiB, rows of
 *     text-like data (compresses 3-5x), in 5 database directories;
 *   - DIR/pg_wal/<segment>: 64 MiB segments, alternating 1 MiB runs of
 *     text-like rows and of random bytes (so each is half compressible),
 *     as many as it takes to reach MIB;
 *   - DIR/global/pg_control and a few other small files.
 * With --small, FILES files of 256 B to 4 KiB of text-like rows instead,
 * 1,000 to a directory (DIR/d<n>/<n>): what a backup of many small files
 * costs per member.
 * Everything comes from a fixed seed, so two runs write the same bytes.
 * Prints the bytes written and the number of files.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KiB 1024u
#define MiB (1024u * 1024)
#define SMALL_FILES 5000
#define DATABASES 5
#define SEGMENT (64u * MiB)
#define RUN MiB
#define PER_DIR 1000

struct gen {
        uint64_t s;             /* xorshift64* state */
        uint64_t bytes;
        unsigned files;
        char    *buf;
};

static uint64_t
next(struct gen *g)
{
        g->s ^= g->s >> 12;
        g->s ^= g->s << 25;
        g->s ^= g->s >> 27;
        return g->s * UINT64_C(2685821657736338717);
}

static void
die(const char *what, const char *path)
{
        fprintf(stderr, "gen-tree: %s \"%s\": %s\n", what, path, strerror(errno));
        exit(1);
}

static void
fill_random(struct gen *g, char *p, size_t len)
{
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                uint64_t v = next(g);

                memcpy(p + i, &v, 8);
        }
        for (; i < len; i++)
                p[i] = (char)next(g);
}

/* Rows like a table dump: id, a name from a small vocabulary, a time, a
 * status, an amount. */
static void
fill_text(struct gen *g, char *p, size_t len)
{
        static const char *const names[] = {
                "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
                "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil",
        };
        static const char *const states[] = { "active", "pending", "closed", "failed" };
        char row[160];
        size_t done = 0;

        while (done < len) {
                uint64_t v = next(g);
                int n = snprintf(row, sizeof row, "%" PRIu64 "|%s|2026-%02u-%02uT%02u:%02u:%02uZ|"
                                 "%s|%u.%02u\n", (v >> 20) % 10000000, names[v & 15],
                                 (unsigned)(v >> 8) % 12 + 1, (unsigned)(v >> 12) % 28 + 1,
                                 (unsigned)(v >> 16) % 24, (unsigned)(v >> 24) % 60,
                                 (unsigned)(v >> 32) % 60, states[(v >> 4) & 3],
                                 (unsigned)(v >> 40) % 100000, (unsigned)(v >> 56) % 100);
                size_t l = (size_t)n < len - done ? (size_t)n : len - done;

                memcpy(p + done, row, l);
                done += l;
        }
}

static void
write_file(struct gen *g, const char *path, const char *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

        if (fd < 0)
                die("cannot create", path);
        for (size_t off = 0; off < len; ) {
                ssize_t n = write(fd, data + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        die("cannot write", path);
                off += (size_t)n;
        }
        if (close(fd) < 0)
                die("cannot write", path);
        g->bytes += len;
        g->files++;
}

static void
mkdir_or_die(const char *path)
{
        if (mkdir(path, 0700) < 0)
                die("cannot create", path);
}

static void
small_files(struct gen *g, const char *dir)
{
        char path[4096];

        snprintf(path, sizeof path, "%s/base", dir);
        mkdir_or_die(path);
        for (unsigned db = 0; db < DATABASES; db++) {
                snprintf(path, sizeof path, "%s/base/%u", dir, 16384 + db);
                mkdir_or_die(path);
        }
        for (unsigned i = 0; i < SMALL_FILES; i++) {
                size_t len = KiB + (size_t)(next(g) % (63 * KiB));

                fill_text(g, g->buf, len);
                snprintf(path, sizeof path, "%s/base/%u/%u", dir, 16384 + i % DATABASES,
                         24576 + i);
                write_file(g, path, g->buf, len);
        }
}

static void
segments(struct gen *g, const char *dir, uint64_t want)
{
        char path[4096];
        unsigned seg = 0;

        snprintf(path, sizeof path, "%s/pg_wal", dir);
        mkdir_or_die(path);
        while (g->bytes + SEGMENT / 2 < want) {
                int fd;

                snprintf(path, sizeof path, "%s/pg_wal/00000001000000000000%04X", dir, ++seg);
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
                if (fd < 0)
                        die("cannot create", path);
                for (unsigned r = 0; r < SEGMENT / RUN; r++) {
                        if (r % 2 == 0)
                                fill_text(g, g->buf, RUN);
                        else
                                fill_random(g, g->buf, RUN);
                        if (write(fd, g->buf, RUN) != (ssize_t)RUN)
                                die("cannot write", path);
                }
                if (close(fd) < 0)
                        die("cannot write", path);
                g->bytes += SEGMENT;
                g->files++;
        }
}

/* FILES small files under dir, PER_DIR to a directory. */
static void
many_files(struct gen *g, const char *dir, unsigned files)
{
        char path[4096];

        mkdir_or_die(dir);
        for (unsigned i = 0; i < files; i++) {
                size_t len = 256 + (size_t)(next(g) % (4 * KiB - 256 + 1));

                if (i % PER_DIR == 0) {
                        snprintf(path, sizeof path, "%s/d%u", dir, i / PER_DIR);
                        mkdir_or_die(path);
                }
                fill_text(g, g->buf, len);
                snprintf(path, sizeof path, "%s/d%u/%u", dir, i / PER_DIR, i);
                write_file(g, path, g->buf, len);
        }
}

int
main(int argc, char **argv)
{
        struct gen g = { .s = UINT64_C(0x9e3779b97f4a7c15) };
        uint64_t want = (uint64_t)(argc > 2 ? strtoul(argv[2], NULL, 10) : 1024) * MiB;
        char path[4096];

        if (argc < 2 || argc > 4 || (argc == 4) != (strcmp(argv[1], "--small") == 0)) {
                fprintf(stderr, "usage: gen-tree DIR [MIB]\n       gen-tree --small DIR FILES\n");
                return 2;
        }
        g.buf = malloc(RUN);
        if (g.buf == NULL)
                return 1;
        if (argc == 4 && strcmp(argv[1], "--small") == 0) {
                many_files(&g, argv[2], (unsigned)strtoul(argv[3], NULL, 10));
                printf("%" PRIu64 " bytes in %u files\n", g.bytes, g.files);
                free(g.buf);
                return 0;
        }
        mkdir_or_die(argv[1]);
        snprintf(path, sizeof path, "%s/global", argv[1]);
        mkdir_or_die(path);
        fill_random(&g, g.buf, 8 * KiB);
        snprintf(path, sizeof path, "%s/global/pg_control", argv[1]);
        write_file(&g, path, g.buf, 8 * KiB);
        snprintf(path, sizeof path, "%s/PG_VERSION", argv[1]);
        write_file(&g, path, "16\n", 3);
        snprintf(path, sizeof path, "%s/postgresql.auto.conf", argv[1]);
        write_file(&g, path, "# Do not edit this file manually!\n", 34);
        small_files(&g, argv[1]);
        segments(&g, argv[1], want);
        printf("%" PRIu64 " bytes in %u files\n", g.bytes, g.files);
        free(g.buf);
        return 0;
}
