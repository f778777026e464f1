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
#include <stdlib.h>
#include <string.h>

#include "lib/kvlist.h"
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

static const struct step_host_ops fake_ops = {
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

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_hop, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
