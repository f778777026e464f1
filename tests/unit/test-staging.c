/* test-staging: the records of staged files and of the swap
 * (steps/staging.h) are journal data: their spellings never change, and
 * what is saved loads back. Through a fake host whose facts are a kvlist. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/kvlist.h"
#include "lib/stamp.h"
#include "lib/vars.h"
#include "steps/staging.h"
#include "testlib.h"

struct step_host {
        struct kvlist facts;            /* in the order set, as journaled */
        unsigned      hop;
};

static int fake_facts_commit(struct step_host *h, struct diag *d);

/* As the engine: what was queued is journaled first. */
static int
fake_fact_set(struct step_host *h, const char *key, const char *value, struct diag *d)
{
        fake_facts_commit(h, d);
        kvlist_set(&h->facts, key, value);
        return 0;
}

/* Queued facts are journaled at the commit: the fake keeps them aside. */
static struct kvlist fake_queue;

static void
fake_fact_queue(struct step_host *h, const char *key, const char *value)
{
        (void)h;
        kvlist_set(&fake_queue, key, value);
}

static int
fake_facts_commit(struct step_host *h, struct diag *d)
{
        (void)d;
        for (size_t i = 0; i < fake_queue.n; i++)
                kvlist_set(&h->facts, fake_queue.v[i].key, fake_queue.v[i].value);
        kvlist_release(&fake_queue);
        return 0;
}

static const char *
fake_fact(const struct step_host *h, const char *key)
{
        return kvlist_get(&h->facts, key);
}

static unsigned
fake_hop(const struct step_host *h)
{
        return h->hop;
}

static void
fake_say(struct step_host *h, enum out_kind kind, const char *msg)
{
        (void)h;
        (void)kind;
        (void)msg;
}

static const struct step_host_ops fake_ops = {
        .say = fake_say,
        .fact_set = fake_fact_set,
        .fact = fake_fact,
        .fact_queue = fake_fact_queue,
        .facts_commit = fake_facts_commit,
        .hop = fake_hop,
};

struct fixture {
        struct step_host host;
        struct filemap   files[2];
        struct plan      plan;
        struct diag      diag;
        struct step_ctx  ctx;
};

static int
setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);

        f->host.hop = 1;
        f->files[0] = (struct filemap){ .member = (char *)"usr/bin/x", .target = (char *)"/x" };
        f->files[1] = (struct filemap){ .member = (char *)"opt/y/", .target = (char *)"/y/",
                                        .dir = true };
        f->plan.swap.files = f->files;
        f->plan.swap.n_files = 2;
        f->ctx = (struct step_ctx){ .host = &f->host, .ops = &fake_ops, .plan = &f->plan,
                                    .diag = &f->diag };
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fixture *f = *state;

        kvlist_release(&f->host.facts);
        free(f);
        return 0;
}

/* key=value of every fact, in the order set. */
static char *
dump(const struct kvlist *l)
{
        struct strbuf sb = {0};

        for (size_t i = 0; i < l->n; i++)
                strbuf_addf(&sb, "%s=%s;", l->v[i].key, l->v[i].value);
        strbuf_adds(&sb, "");
        return strbuf_detach(&sb);
}

static const char *
staged_get_for_test(struct fixture *f)
{
        return step_fact(&f->ctx, "staged.0.sha256");
}

/* Without a directory mapping: sha256 and mode only, entry i is mapping i. */
static void
test_plain(void **state)
{
        struct fixture *f = *state;
        struct staged_entry e = { .sha256 = "ab", .mode = 0100755 }, back;
        char *s;

        assert_int_equal(staged_save(&f->ctx, 0, &e), 0);
        assert_null(staged_get_for_test(f));    /* queued: not seen before the commit */
        assert_int_equal(step_facts_commit(&f->ctx, &f->diag), 0);
        s = dump(&f->host.facts);
        assert_string_equal(s, "staged.0.sha256=ab;staged.0.mode=755;");
        free(s);
        assert_int_equal(staged_load(&f->ctx, 0, &back), 0);
        assert_string_equal(back.sha256, "ab");
        assert_int_equal(back.mode, 0755);
        assert_int_equal(back.map, 0);
        assert_string_equal(back.member, "usr/bin/x");
        assert_false(back.dir);
        assert_null(back.link);
        assert_int_equal(staged_load(&f->ctx, 1, &back), -ENOENT);
        assert_int_equal(staged_count(&f->ctx), 2);
}

/* Hop 2, below a mapped directory, a symlink: every field, hop-prefixed. */
static void
test_dir_hop(void **state)
{
        struct fixture *f = *state;
        struct staged_entry e = { .member = "opt/y/l", .map = 1, .link = "t", .sha256 = "cd",
                                  .mode = 0777 }, back;
        char *s;

        f->host.hop = 2;
        assert_int_equal(staged_count_save(&f->ctx, 7), 0);
        assert_int_equal(staged_save(&f->ctx, 3, &e), 0);
        assert_int_equal(swap_rec_set(&f->ctx, SWAP_TARGET, 3, "/y/l"), 0);
        assert_int_equal(swap_rec_set(&f->ctx, SWAP_OLD, 3, "none"), 0);
        assert_int_equal(swap_rec_set(&f->ctx, SWAP_DONE, 3, "yes"), 0);
        assert_int_equal(swap_rec_set(&f->ctx, SWAP_MKDIR, 0, "/y/new"), 0);
        s = dump(&f->host.facts);
        assert_string_equal(s, "hop2.staged.count=7;"
                            "hop2.staged.3.sha256=cd;hop2.staged.3.mode=777;"
                            "hop2.staged.3.member=opt/y/l;hop2.staged.3.map=1;"
                            "hop2.staged.3.link=t;"
                            "hop2.swap.target.3=/y/l;hop2.swap.old.3.sha256=none;"
                            "hop2.swap.done.3=yes;hop2.swap.mkdir.0=/y/new;");
        free(s);
        assert_int_equal(staged_count(&f->ctx), 7);
        assert_int_equal(staged_load(&f->ctx, 3, &back), 0);
        assert_string_equal(back.member, "opt/y/l");
        assert_int_equal(back.map, 1);
        assert_true(back.dir);
        assert_string_equal(back.link, "t");
        assert_string_equal(swap_rec(&f->ctx, SWAP_TARGET, 3), "/y/l");
        assert_string_equal(swap_rec(&f->ctx, SWAP_OLD, 3), "none");
        assert_null(swap_rec(&f->ctx, SWAP_DONE, 4));
        f->host.hop = 1;
        assert_null(swap_rec(&f->ctx, SWAP_TARGET, 3));
}

/* Rewrite path in place (same inode) with text, its mtime set back to what
 * it was: only its ctime tells. */
static void
rewrite_keeping_mtime(const char *path, const char *text)
{
        struct stat st;
        struct timespec times[2];
        FILE *fp;

        assert_int_equal(lstat(path, &st), 0);
        t_sleep_ms(20);
        fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(text, fp);
        assert_int_equal(fclose(fp), 0);
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
        assert_int_equal(utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), 0);
}

/* Detect's stamps: spelled staged.N.old ("HEX STAMP") and staged.N.new_stamp,
 * hop-prefixed. staging_hash_stamped() answers the journaled hash, without
 * reading, only while the file is as stamped and the stamp settled: a file
 * rewritten in the same size with its mtime set back is read again, and so
 * is one whose stamp is racy or that has no stamp (an old journal). */
static void
test_stamps(void **state)
{
        struct fixture *f = *state;
        char *dir = t_mkdtemp("staging"), *p = path_join(dir, "f");
        char fake[SHA256_HEX_LEN + 1], staged[SHA256_HEX_LEN + 1], hex[SHA256_HEX_LEN + 1];
        char one[SHA256_HEX_LEN + 1], two[SHA256_HEX_LEN + 1], text[STAMP_TEXT_MAX], *want;
        struct staged_entry e = { .sha256 = staged, .mode = 0644 };
        struct stamp s, back;

        memset(fake, 'a', SHA256_HEX_LEN);
        memset(staged, 'b', SHA256_HEX_LEN);
        fake[SHA256_HEX_LEN] = staged[SHA256_HEX_LEN] = '\0';
        t_write_text(p, "one\n");
        assert_int_equal(sha256_file(p, one, NULL, &f->diag), 0);
        assert_int_equal(stamp_path(p, &s), 0);
        s.taken_ns += 3000000000LL;             /* as if stamped 3 s later: settled */
        staged_save(&f->ctx, 0, &e);
        staged_stamp_queue(&f->ctx, 0, STAGED_OLD, &s, fake);
        staged_stamp_queue(&f->ctx, 0, STAGED_NEW, &s, NULL);
        assert_null(step_fact(&f->ctx, "staged.0.old"));        /* queued */
        assert_int_equal(step_facts_commit(&f->ctx, &f->diag), 0);
        stamp_format(&s, text);
        want = xasprintf("%s %s", fake, text);
        assert_string_equal(step_fact(&f->ctx, "staged.0.old"), want);
        assert_string_equal(step_fact(&f->ctx, "staged.0.new_stamp"), text);
        assert_int_equal(stamp_parse(text, &back), 0);
        assert_true(stamp_same(&s, &back));

        /* As stamped: the journaled hashes (not what the file holds). */
        assert_int_equal(staging_hash_stamped(&f->ctx, 0, STAGED_OLD, p, hex), 0);
        assert_string_equal(hex, fake);
        assert_int_equal(staging_hash_stamped(&f->ctx, 0, STAGED_NEW, p, hex), 0);
        assert_string_equal(hex, staged);
        /* Hop 2 has no stamps, as a journal from before them: read. */
        f->host.hop = 2;
        assert_int_equal(staging_hash_stamped(&f->ctx, 0, STAGED_OLD, p, hex), 0);
        assert_string_equal(hex, one);
        f->host.hop = 1;

        /* Changed since, in the same size, its mtime set back: read. */
        rewrite_keeping_mtime(p, "two\n");
        assert_int_equal(sha256_file(p, two, NULL, &f->diag), 0);
        assert_int_equal(staging_hash_stamped(&f->ctx, 0, STAGED_OLD, p, hex), 0);
        assert_string_equal(hex, two);
        assert_int_equal(staging_hash_stamped(&f->ctx, 0, STAGED_NEW, p, hex), 0);
        assert_string_equal(hex, two);

        /* A racy stamp (the file changed within 2 s of it): read. */
        assert_int_equal(stamp_path(p, &s), 0);
        staged_stamp_queue(&f->ctx, 0, STAGED_OLD, &s, fake);
        assert_int_equal(step_facts_commit(&f->ctx, &f->diag), 0);
        assert_int_equal(staging_hash_stamped(&f->ctx, 0, STAGED_OLD, p, hex), 0);
        assert_string_equal(hex, two);

        /* Gone: 1, as staging_hash. */
        assert_int_equal(unlink(p), 0);
        assert_int_equal(staging_hash_stamped(&f->ctx, 0, STAGED_OLD, p, hex), 1);

        free(want);
        free(p);
        t_rm_rf(dir);
        free(dir);
}

/* A file of a mapped directory staged beside its target: never through a
 * link planted below the mapped directory (refused, nothing written where
 * it leads), and never group- or world-writable, whatever mode the journal
 * says. */
static void
test_prestage_beneath(void **state)
{
        struct fixture *f = *state;
        char *dir = t_mkdtemp("staging"), *t = NULL, buf[512], hex[SHA256_HEX_LEN + 1];
        struct staged_entry e = { .member = "opt/y/lib/sub/f", .map = 1, .sha256 = hex,
                                  .mode = 0777 };
        struct vars vs = {0};
        struct stat st;

        assert_int_equal(t_sh("cd '%s' && mkdir -p root/lib outside/sub staging && "
                              "echo new > staging/0 && ln -s ../../outside/sub root/lib/sub", dir), 0);
        snprintf(buf, sizeof buf, "%s/staging/0", dir);
        assert_int_equal(sha256_file(buf, hex, NULL, &f->diag), 0);
        snprintf(buf, sizeof buf, "%s/staging", dir);
        vars_set(&vs, "staging", buf);
        snprintf(buf, sizeof buf, "%s/root", dir);
        vars_set(&vs, "mroot", buf);
        f->files[1].target = (char *)"${mroot}/";
        f->ctx.vars = &vs;
        staged_save(&f->ctx, 0, &e);
        staged_count_save(&f->ctx, 1);
        snprintf(buf, sizeof buf, "%s/root/lib/sub/f", dir);
        swap_rec_queue(&f->ctx, SWAP_TARGET, 0, buf);
        assert_int_equal(step_facts_commit(&f->ctx, &f->diag), 0);

        assert_int_equal(staging_prestage_one(&f->ctx, 0, &t, true), STEP_FAILED);
        assert_non_null(strstr(f->diag.msg, "/root/lib/sub\" is a symlink below the mapped directory"));
        assert_int_equal(t_sh("test -z \"$(ls -A '%s/outside/sub')\"", dir), 0);
        diag_clear(&f->diag);

        /* the link replaced by a directory: staged, without write for others */
        assert_int_equal(t_sh("cd '%s' && rm root/lib/sub && mkdir root/lib/sub", dir), 0);
        assert_int_equal(staging_prestage_one(&f->ctx, 0, &t, true), STEP_OK);
        snprintf(buf, sizeof buf, "%s/root/lib/sub/f.upshift-new", dir);
        assert_int_equal(lstat(buf, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);

        free(t);
        vars_release(&vs);
        t_rm_rf(dir);
        free(dir);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_hop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stamps, setup, teardown),
                cmocka_unit_test_setup_teardown(test_prestage_beneath, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
